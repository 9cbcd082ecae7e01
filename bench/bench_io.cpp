// I/O kernels: reading a 60000×6 float64 .npy (the size of an LHCO signal-region file) and the
// same table as CSV, plus writing both. Files are generated once in a temporary folder, so the
// benchmark does not depend on the shared data. Throughput is reported in bytes of file per second.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "resanom/io/table.hpp"

namespace {

namespace fs = std::filesystem;

/// A temporary folder holding the benchmark files, removed at exit.
struct IoFiles {
    fs::path dir;
    std::string npy, csv;
    resanom::io::Table table;

    IoFiles() {
        dir = fs::temp_directory_path() /
              ("resanom_bench_io_" + std::to_string(std::random_device{}()));
        fs::create_directories(dir);
        npy = (dir / "events.npy").string();
        csv = (dir / "events.csv").string();
        std::mt19937_64 gen(7);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        resanom::Matrix M(60000, 6);
        for (resanom::Index i = 0; i < M.rows(); ++i) {
            M(i, 0) = 3.3 + 0.4 * u(gen);
            for (resanom::Index j = 1; j < 5; ++j) M(i, j) = u(gen);
            M(i, 5) = u(gen) < 0.01 ? 1.0 : 0.0;
        }
        table = {M, {"mjj", "mj_min", "delta_m", "tau21_min", "tau21_max", "label"}};
        resanom::io::write_npy(npy, M);
        resanom::io::write_csv(csv, table);
    }
    ~IoFiles() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

IoFiles& files() {
    static IoFiles f;
    return f;
}

void BM_read_npy_60000x6(benchmark::State& state) {
    const std::string& path = files().npy;
    for (auto _ : state) benchmark::DoNotOptimize(resanom::io::read_npy(path));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_read_npy_60000x6)->Unit(benchmark::kMillisecond);

void BM_read_csv_60000x6(benchmark::State& state) {
    const std::string& path = files().csv;
    for (auto _ : state) benchmark::DoNotOptimize(resanom::io::read_csv(path));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_read_csv_60000x6)->Unit(benchmark::kMillisecond);

void BM_write_npy_60000x6(benchmark::State& state) {
    const IoFiles& f = files();
    const std::string path = (f.dir / "out.npy").string();
    for (auto _ : state) resanom::io::write_npy(path, f.table.data);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_write_npy_60000x6)->Unit(benchmark::kMillisecond);

void BM_write_csv_60000x6(benchmark::State& state) {
    const IoFiles& f = files();
    const std::string path = (f.dir / "out.csv").string();
    for (auto _ : state) resanom::io::write_csv(path, f.table);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fs::file_size(path)));
}
BENCHMARK(BM_write_csv_60000x6)->Unit(benchmark::kMillisecond);

}  // namespace
