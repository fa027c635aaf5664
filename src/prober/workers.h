// RunWorkers: runs `count` copies of a coroutine concurrently on the caller's executor and
// returns when all have finished. The prober's survey and rounds use it to keep a bounded number
// of probes in flight.
//
// Thread-safety: the caller's executor must be single-threaded; `work` must outlive the call.
#pragma once

#include <cstddef>
#include <functional>

#include <boost/asio/awaitable.hpp>

namespace vigil::prober {

boost::asio::awaitable<void> RunWorkers(std::size_t count,
                                        const std::function<boost::asio::awaitable<void>()>& work);

}  // namespace vigil::prober
