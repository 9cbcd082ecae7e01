// resanom/core/parallel.hpp — a small persistent thread pool for resanom's parallel loops.
//
//   parallel_for(n, fn)          fn(i) for i in [0, n), items handed out one at a time (coarse items)
//   parallel_chunks(n, k, fn)    fn(c, begin, end) over k fixed chunks: reductions in chunk order are
//                                bit-reproducible whatever thread runs which chunk
//   shared_pool(T)               one persistent pool per size for the whole process
// The caller takes part; a loop inside a task runs serially; the first task exception is rethrown
// after the loop. docs/hardening.md ("Threads") explains the pool.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/types.hpp"

namespace resanom {

class ThreadPool {
public:
    /// A pool of `threads` threads in all, the caller included (0 means all cores).
    explicit ThreadPool(unsigned threads = 0) {
        if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
        workers_.reserve(threads - 1);
        try {
            for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this] { work(); });
        } catch (...) {   // a thread could not be started: stop and join the ones that were
            shutdown();
            throw;
        }
    }

    ~ThreadPool() { shutdown(); }

    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    /// Threads in all, the caller included.
    unsigned size() const noexcept { return static_cast<unsigned>(workers_.size()) + 1; }

    /// fn(i) for every i in [0, n).
    template <class F>
    void parallel_for(Index n, F&& fn) {
        if (n <= 0) return;
        if (n == 1 || workers_.empty() || in_task()) {
            for (Index i = 0; i < n; ++i) fn(i);
            return;
        }
        run(n, [&fn](Index i) { fn(i); });
    }

    /// fn(c, begin, end) for the k contiguous chunks c = 0..k−1 of [0, n) (sizes differing by at
    /// most one; k is capped at n). The split depends on n and k only.
    template <class F>
    void parallel_chunks(Index n, Index k, F&& fn) {
        if (n <= 0) return;
        k = std::clamp<Index>(k, 1, n);
        parallel_for(k, [&](Index c) { fn(c, n * c / k, n * (c + 1) / k); });
    }

private:
    static bool& in_task() {
        thread_local bool flag = false;
        return flag;
    }

    void run(Index n, const std::function<void(Index)>& task) {
        std::unique_lock job_lock(job_mutex_);  // one job at a time per pool
        {
            std::lock_guard lock(mutex_);
            task_ = &task;
            n_ = n;
            next_.store(0);
            pending_.store(static_cast<unsigned>(workers_.size()));
            error_ = nullptr;
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        execute();
        // Spin briefly before sleeping: most jobs end within microseconds of the caller's share.
        for (int s = 0; s < spin_iterations && pending_.load(std::memory_order_acquire) != 0; ++s) cpu_relax();
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return pending_.load() == 0; });
        task_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

    // Stops the workers and joins them (the destructor, and a constructor that failed half way).
    void shutdown() noexcept {
        {
            std::lock_guard lock(mutex_);
            stop_.store(true);
        }
        wake_.notify_all();
        for (auto& w : workers_)
            if (w.joinable()) w.join();
    }

    // A pause hint for spin loops.
    static void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }

    // Waking a sleeping thread through a condition variable takes 50–100 µs on virtual machines,
    // longer than many of the loops resanom runs (a histogram of a small tree node): workers and
    // the caller first spin on the job counter for a while (about 50–100 µs), then sleep.
    static constexpr int spin_iterations = 4000;

    // Takes items until none is left; records the first exception.
    void execute() {
        in_task() = true;
        for (;;) {
            const Index i = next_.fetch_add(1);
            if (i >= n_) break;
            try {
                (*task_)(i);
            } catch (...) {
                std::lock_guard lock(mutex_);
                if (!error_) error_ = std::current_exception();
                next_.store(n_);  // stop handing out items
            }
        }
        in_task() = false;
    }

    void work() {
        std::uint64_t seen = 0;
        for (;;) {
            for (int s = 0; s < spin_iterations && generation_.load(std::memory_order_acquire) == seen &&
                            !stop_.load(std::memory_order_relaxed);
                 ++s)
                cpu_relax();
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
                if (stop_.load()) return;
                seen = generation_.load();
            }
            execute();
            {
                std::lock_guard lock(mutex_);
                pending_.fetch_sub(1);
            }
            done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_, job_mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(Index)>* task_ = nullptr;
    Index n_ = 0;
    std::atomic<Index> next_{0};
    std::atomic<unsigned> pending_{0};
    std::atomic<std::uint64_t> generation_{0};
    std::exception_ptr error_;
    std::atomic<bool> stop_{false};
};

/// A process-wide pool of `threads` threads (0: all cores), created on first use and shared by
/// every caller asking for that size — so that models which are copied (ensemble members, folds)
/// and fitted many times do not start threads each time. Safe to call from several threads.
inline ThreadPool& shared_pool(unsigned threads = 0) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    static std::mutex m;
    static std::vector<std::unique_ptr<ThreadPool>> pools;
    std::lock_guard lock(m);
    for (auto& p : pools)
        if (p->size() == threads) return *p;
    pools.push_back(std::make_unique<ThreadPool>(threads));
    return *pools.back();
}

}  // namespace resanom
