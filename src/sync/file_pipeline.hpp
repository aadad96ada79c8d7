#pragma once
// The file pipeline: a downloaded body decoded through the data-type registry and ingested on
// the store thread in one transaction, and a file's failure recorded in the ledger (quarantined
// after quarantine_after failed polls, its body kept).
#include "sync/slice_run.hpp"

#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>

namespace lpda::sync::detail {

// The spool holds bodies with agent names, so only the database's owner may read it (the
// database is 0600): the directory is 0700, its files 0600 (the http client creates them so).
void create_private_dir(const std::filesystem::path& dir);

// Records a failure of `file` in the ledger; `spool` (its body, may be empty) is removed, or
// kept under the spool's quarantine/ when the file is quarantined. `rejected` marks a listing
// entry that could not be read (never downloaded): its failures are logged at error level,
// since no retry of the same listing can fix it.
boost::asio::awaitable<void> record_file_failure(slice_run* run, data_file file, lpda::error err,
                                                 std::filesystem::path spool,
                                                 bool rejected = false);

// Decodes the body downloaded to `spool` (`bytes` long) and stores it as `file`, then removes
// the spool file; a failure counts against the file or, when local, stops the poll.
boost::asio::awaitable<void> store_file(slice_run* run, data_file file, std::filesystem::path spool,
                                        std::uint64_t bytes);

}  // namespace lpda::sync::detail
