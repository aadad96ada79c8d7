#pragma once
// The listing plan: the slices of a window listed in order, and which of the listed files (or
// of the ledger's pending rows) a poll fetches, skips, or records as failed without a download.
#include "lpda/api/listing.hpp"
#include "lpda/core/data_file.hpp"
#include "lpda/core/error.hpp"
#include "lpda/store/database.hpp"
#include "lpda/sync/account_sync.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lpda::sync::detail {

// A listing entry that could not be read, as the ledger row that stands for it. The href is left
// empty: nothing may download a rejected entry, and a row without href cannot be fetched (see
// fetch_pending).
struct rejected_file {
  data_file file;
  lpda::error reason;
};

// What one listed slice (or the ledger's pending rows) leaves to do: files to download, and
// entries to record as failed without a download.
struct file_plan {
  std::vector<data_file> fetch;
  std::vector<rejected_file> rejected;
};

// Lists `slices` in order, stopping at the first listing that fails (its error goes to
// `report->error` and the log). Returns the listings of the slices before it.
boost::asio::awaitable<std::vector<api::file_listing>> list_slices(api::data_access_client* client,
                                                                   const std::string& account,
                                                                   const std::string& data_type,
                                                                   const std::vector<slice>& slices,
                                                                   poll_report* report);

// The plan of each listed slice (`listings[i]` is the listing of `slices[i]`): every listed file
// the ledger has not finished (all of them with `refetch`) is fetched; a malformed entry, or a key
// listed with different hrefs, is recorded as failed. Counts files_listed and files_skipped.
// nullopt when the ledger could not be read (the error is in `report->error`).
boost::asio::awaitable<std::optional<std::vector<file_plan>>> plan_listed_files(
    store_worker* store, const std::string& account, const std::string& data_type,
    std::vector<api::file_listing> listings, const std::vector<slice>& slices, bool refetch,
    poll_report* report);

// The plan for the ledger's pending rows of `data_type`: rows with a href are fetched from it;
// a row without one (a rejected listing entry) fails again. Counts files_listed.
file_plan plan_pending_rows(const std::vector<store::file_record>& rows,
                            const std::string& data_type, poll_report* report);

}  // namespace lpda::sync::detail
