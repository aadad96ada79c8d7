#include "sync/listing_plan.hpp"

#include "lpda/api/data_access_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace lpda::sync::detail {
namespace asio = boost::asio;
namespace {

rejected_file to_rejected_file(const api::rejected_entry& e, std::string key, const slice& sl) {
  rejected_file out;
  out.file.key = std::move(key);
  out.file.name = e.name.value_or("");
  if (e.name_parts) {
    out.file.part = e.name_parts->part;
    out.file.scope_start_ms = e.name_parts->scope_start_ms;
    out.file.scope_end_ms = e.name_parts->scope_end_ms;
  } else {
    // No hour to go by: the listed slice places the row in the ledger's order.
    out.file.scope_start_ms = sl.start_ms;
    out.file.scope_end_ms = sl.end_ms;
  }
  std::string message = "listing entry rejected: " + e.reason.message;
  if (e.href) message += " (@href " + api::escape_text(*e.href) + ")";
  out.reason = lpda::error{e.reason.code, std::move(message)};
  return out;
}

// Whether the ledger has the file as done or quarantined.
asio::awaitable<result<bool>> is_terminal(store_worker* store, std::string account,
                                          std::string data_type, std::string key) {
  auto st = co_await store->run(
      [&](store::database& db) { return db.status_of(account, data_type, key); });
  if (!st) co_return st.error();
  co_return *st && (**st == store::file_status::done || **st == store::file_status::quarantined);
}

}  // namespace

asio::awaitable<std::vector<api::file_listing>> list_slices(api::data_access_client* client,
                                                            const std::string& account,
                                                            const std::string& data_type,
                                                            const std::vector<slice>& slices,
                                                            poll_report* report) {
  std::vector<api::file_listing> listings;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    auto listing = co_await client->list_files(data_type, slices[i].start_ms, slices[i].end_ms);
    if (!listing) {
      report->error = listing.error();
      spdlog::error("account={} data_type={}: listing [{}, {}) failed: {}", account, data_type,
                    format_iso8601_ms(slices[i].start_ms), format_iso8601_ms(slices[i].end_ms),
                    listing.error().what());
      break;
    }
    listings.push_back(std::move(*listing));
  }
  co_return listings;
}

asio::awaitable<std::optional<std::vector<file_plan>>> plan_listed_files(
    store_worker* store, const std::string& account, const std::string& data_type,
    std::vector<api::file_listing> listings, const std::vector<slice>& slices, bool refetch,
    poll_report* report) {
  const std::size_t listed_slices = listings.size();
  std::vector<file_plan> plans(listed_slices);
  std::set<std::string> seen;

  // Well-formed entries of this poll that share a key but not a href: which one holds the file
  // cannot be known, and storing either under the key could put one file's events under
  // another's name. Neither is downloaded; the key fails (listed first, in its first slice).
  std::map<std::string, std::vector<std::string>> hrefs_of;
  for (const auto& l : listings)
    for (const auto& f : l.files) {
      auto& hrefs = hrefs_of[f.key];
      if (std::find(hrefs.begin(), hrefs.end(), f.href) == hrefs.end()) hrefs.push_back(f.href);
    }

  for (std::size_t i = 0; i < listed_slices; ++i) {
    for (auto& f : listings[i].files) {
      if (!seen.insert(f.key).second) continue;
      ++report->files_listed;
      if (const auto& hrefs = hrefs_of[f.key]; hrefs.size() > 1) {
        auto terminal = co_await is_terminal(store, account, data_type, f.key);
        if (!terminal) {
          report->error = terminal.error();
          co_return std::nullopt;
        }
        if (*terminal) {
          // Stored or quarantined before; a conflicting listing must not replace it either.
          spdlog::warn(
              "account={} data_type={} file={}: listed {} times with different hrefs; "
              "the ledger has it finished, so it is not fetched again",
              account, data_type, f.key, hrefs.size());
          ++report->files_skipped;
          continue;
        }
        std::string list;
        for (const auto& h : hrefs) list += (list.empty() ? "" : ", ") + api::escape_text(h);
        rejected_file r;
        r.file = f;
        r.file.href.clear();  // a row without href is never downloaded (see fetch_pending)
        r.reason =
            lpda::error{errc::bad_listing,
                        "listing entry rejected: file " + f.key + " is listed " +
                            std::to_string(hrefs.size()) + " times with different hrefs (" + list +
                            "); neither is downloaded, since either could hold the other's events"};
        plans[i].rejected.push_back(std::move(r));
        continue;
      }
      auto terminal = co_await is_terminal(store, account, data_type, f.key);
      if (!terminal) {
        report->error = terminal.error();
        co_return std::nullopt;
      }
      if (*terminal && !refetch) {
        ++report->files_skipped;
        continue;
      }
      plans[i].fetch.push_back(std::move(f));
    }
    for (const auto& e : listings[i].rejected) {
      std::string key = api::ledger_key(e);
      // Keyed by its name, unless a well-formed entry of this poll has that name: then the file
      // is fetched under its name and the bad entry gets its own derived key.
      if (hrefs_of.count(key) != 0) key = e.entry_key;
      if (!seen.insert(key).second) continue;
      ++report->files_listed;
      auto terminal = co_await is_terminal(store, account, data_type, key);
      if (!terminal) {
        report->error = terminal.error();
        co_return std::nullopt;
      }
      // A quarantined entry was reported when it was quarantined; a done row is a file stored
      // before its entry went bad. Neither is fetched again by a rejected entry.
      if (*terminal) {
        ++report->files_skipped;
        continue;
      }
      plans[i].rejected.push_back(to_rejected_file(e, std::move(key), slices[i]));
    }
  }
  co_return plans;
}

file_plan plan_pending_rows(const std::vector<store::file_record>& rows,
                            const std::string& data_type, poll_report* report) {
  file_plan plan;
  for (const auto& f : rows) {
    if (f.data_type != data_type) continue;
    data_file file{f.key, f.name, f.href, f.part, f.scope_start_ms, f.scope_end_ms};
    ++report->files_listed;
    if (f.href.empty()) {
      // The row of a rejected listing entry: it has nothing to download. Only a listing that
      // shows the file well-formed can fetch it, so this attempt fails (and counts) as such.
      const std::string head = "ledger row " + f.key + " has no href to fetch (";
      const std::string cause = f.last_error.value_or("its listing entry was rejected");
      lpda::error err{
          errc::bad_listing,
          cause.rfind(head, 0) == 0
              ? cause
              : head + cause + "); it is fetched only when a listing shows it well-formed"};
      plan.rejected.push_back({std::move(file), std::move(err)});
      continue;
    }
    plan.fetch.push_back(std::move(file));
  }
  return plan;
}

}  // namespace lpda::sync::detail
