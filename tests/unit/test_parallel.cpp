// Tests of resanom/core/parallel.hpp: every item runs once, chunks are fixed, exceptions reach the
// caller, nested loops run serially, a one-thread pool stays on the caller, and shared_pool keeps
// one persistent pool per size.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "resanom/core/parallel.hpp"
#include "test_support.hpp"

// One namespace per test file, so that files built together (a unity build) cannot clash.
namespace unit_test_parallel {

using namespace resanom;

TEST_CASE("parallel_for runs every item exactly once, many times over") {
    ThreadPool pool(2);
    CHECK(pool.size() == 2);
    for (int rep = 0; rep < 200; ++rep) {
        std::vector<std::atomic<int>> hits(1000);
        pool.parallel_for(1000, [&](Index i) { hits[static_cast<std::size_t>(i)]++; });
        for (auto& h : hits) REQUIRE(h.load() == 1);
    }
    pool.parallel_for(0, [](Index) { FAIL("no item expected"); });
}

TEST_CASE("parallel_chunks splits [0, n) into k fixed contiguous chunks") {
    ThreadPool pool(2);
    std::vector<std::pair<Index, Index>> chunks(4);
    pool.parallel_chunks(10, 4, [&](Index c, Index b, Index e) { chunks[static_cast<std::size_t>(c)] = {b, e}; });
    CHECK(chunks[0] == std::pair<Index, Index>{0, 2});
    CHECK(chunks[1] == std::pair<Index, Index>{2, 5});
    CHECK(chunks[2] == std::pair<Index, Index>{5, 7});
    CHECK(chunks[3] == std::pair<Index, Index>{7, 10});
    int calls = 0;
    ThreadPool one(1);
    one.parallel_chunks(3, 8, [&](Index, Index b, Index e) { calls += static_cast<int>(e - b); });
    CHECK(calls == 3);
}

TEST_CASE("the first exception reaches the caller and the pool stays usable") {
    ThreadPool pool(2);
    CHECK_THROWS_AS(pool.parallel_for(100, [](Index i) { if (i == 37) throw std::runtime_error("boom"); }),
                    std::runtime_error);
    std::atomic<int> n{0};
    pool.parallel_for(50, [&](Index) { ++n; });
    CHECK(n == 50);
}

TEST_CASE("nested loops run serially inside a task, a one-thread pool stays on the caller") {
    ThreadPool pool(2);
    std::atomic<int> n{0};
    pool.parallel_for(4, [&](Index) { pool.parallel_for(10, [&](Index) { ++n; }); });
    CHECK(n == 40);
    ThreadPool one(1);
    const auto me = std::this_thread::get_id();
    bool same = true;
    one.parallel_for(10, [&](Index) { same = same && std::this_thread::get_id() == me; });
    CHECK(same);
}

TEST_CASE("two outside threads sharing one pool each get all their items, run one job at a time") {
    ThreadPool pool(2);
    std::atomic<long> total_a{0}, total_b{0};
    auto job = [&](std::atomic<long>& total) {
        for (int rep = 0; rep < 100; ++rep)
            pool.parallel_for(500, [&](Index i) { total += static_cast<long>(i); });
    };
    std::thread a(job, std::ref(total_a)), b(job, std::ref(total_b));
    a.join();
    b.join();
    const long expected = 100L * (499L * 500L / 2);
    CHECK(total_a.load() == expected);
    CHECK(total_b.load() == expected);
}

TEST_CASE("a reduction combined in chunk order is bit-identical whatever the threads") {
    // Terms whose floating-point sum depends on the order of additions.
    std::vector<double> x(100000);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.0 / (1.0 + static_cast<double>(i % 977)) * (i % 2 ? 1e8 : 1e-8);
    auto reduce = [&](ThreadPool& pool) {
        const Index k = 16;
        std::vector<double> partial(static_cast<std::size_t>(k), 0.0);
        pool.parallel_chunks(static_cast<Index>(x.size()), k, [&](Index c, Index b, Index e) {
            double s = 0.0;
            for (Index i = b; i < e; ++i) s += x[static_cast<std::size_t>(i)];
            partial[static_cast<std::size_t>(c)] = s;
        });
        double s = 0.0;
        for (double p : partial) s += p;
        return s;
    };
    ThreadPool one(1), two(2), four(4);
    const double r1 = reduce(one);
    for (int rep = 0; rep < 20; ++rep) {
        CHECK(reduce(two) == r1);
        CHECK(reduce(four) == r1);
    }
}

TEST_CASE("shared_pool: one persistent pool per size, no threads started per loop") {
    ThreadPool& a = shared_pool(3);
    CHECK(a.size() == 3);
    CHECK(&shared_pool(3) == &a);
    // Asked for from several threads at once, it is still the one pool.
    std::vector<ThreadPool*> seen(4, nullptr);
    {
        std::vector<std::thread> askers;
        for (std::size_t t = 0; t < seen.size(); ++t) askers.emplace_back([&seen, t] { seen[t] = &shared_pool(3); });
        for (auto& t : askers) t.join();
    }
    for (ThreadPool* p : seen) CHECK(p == &a);
    // Many loops on the shared pool: no thread is started for a loop. Counted inside the loop (a
    // pool made per call would show its workers there, and join them before returning).
    const long before = resanom_test::threads_now();
    long during = before;
    for (int rep = 0; rep < 500; ++rep) {
        std::atomic<Index> sum{0};
        shared_pool(3).parallel_for(64, [&](Index i) {
            if (i == 0) during = std::max(during, resanom_test::threads_now());
            sum += i;
        });
        REQUIRE(sum.load() == 64 * 63 / 2);
    }
    if (before > 0) {
        CHECK(during == before);
        CHECK(resanom_test::threads_now() == before);
        // The counter itself sees a thread started outside the pool.
        long with_extra = 0;
        std::thread extra([&] { with_extra = resanom_test::threads_now(); });
        extra.join();
        CHECK(with_extra == before + 1);
    }
}

}  // namespace unit_test_parallel
