// ConnectionPool: a bounded pool of database connections shared by the SQLite and
// PostgreSQL stores.
//
// Borrow() hands out an idle connection, or opens a new one while fewer than `max_open`
// exist, or waits for one to come back. A Lease returns its connection when it dies; a
// connection that reports Broken() (when the type has that method) is dropped instead,
// so the next Borrow() opens a fresh one.
//
// Thread-safety: Borrow() and Lease destruction are safe from many threads.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/result.h"

namespace vigil::store {

template <typename Conn>
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Conn> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (c_) pool_->Return(std::move(c_));
    }
    Conn* operator->() const { return c_.get(); }
    Conn& operator*() const { return *c_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Conn> c_;
  };

  // make() -> Result<std::unique_ptr<Conn>> opens a connection (called without the lock).
  template <typename Make>
  Result<Lease> Borrow(int max_open, Make&& make) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_open; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    ++open_;
    lock.unlock();
    Result<std::unique_ptr<Conn>> c = make();
    if (!c) {
      std::lock_guard relock(mu_);
      --open_;
      cv_.notify_one();
      return tl::unexpected(c.error());
    }
    return Lease(this, std::move(*c));
  }

 private:
  void Return(std::unique_ptr<Conn> c) {
    std::lock_guard lock(mu_);
    bool broken = false;
    if constexpr (requires { c->Broken(); }) broken = c->Broken();
    if (broken) {
      --open_;
    } else {
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;
};

}  // namespace vigil::store
