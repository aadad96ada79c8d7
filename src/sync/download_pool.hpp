#pragma once
// The download pool: a run's files fetched into the spool by at most max_concurrent_downloads
// workers, each file handed to the file pipeline once downloaded.
#include "sync/slice_run.hpp"

#include <boost/asio/awaitable.hpp>

namespace lpda::sync::detail {

// Fetches and stores `run->files` with at most max_concurrent_downloads at once.
//
// The workers are separate coroutines that point into `*run`, so this one must not return while
// any of them runs: a cancellation of the poll (the daemon stopping) does not throw here; it
// stops the workers from taking new files, and the wait goes on until the ones in flight end.
boost::asio::awaitable<void> run_slice(slice_run* run);

}  // namespace lpda::sync::detail
