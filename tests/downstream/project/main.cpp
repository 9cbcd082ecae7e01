// A downstream program: includes the umbrella header and uses a few parts of the installed library.
#include <resanom/resanom.hpp>

#include <iostream>

int main() {
    resanom::Rng rng(1);
    resanom::Vector s(4), y(4);
    s << 0.1, 0.4, 0.35, 0.8;
    y << 0, 0, 1, 1;
    const double auc = resanom::auc(s, y);
    if (auc != 0.75) return 1;
    std::cout << "downstream ok, auc = " << auc << "\n";
    return 0;
}
