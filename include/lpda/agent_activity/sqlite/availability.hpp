#pragma once
/// The availability report's query on the SQLite store: the `agent_daily_availability` view with
/// the agents' names from `agents`.
#include "lpda/store/availability.hpp"

#include <filesystem>
#include <memory>

namespace lpda::agent_activity::sqlite {

using store::availability_query;
using store::availability_reader;
using store::availability_row;

/// Opens the SQLite file at `database` read-only for the report (never creating, migrating or
/// writing it; a concurrent writer is not blocked, WAL: https://www.sqlite.org/wal.html).
/// Errors: `errc::unreadable` when the file is missing; `errc::store_schema` when it is from a
/// newer lpda-sync (user_version, or a core or agentActivity migration this build does not
/// know; the message says "newer"); `errc::store_io` for other SQLite failures. Messages name
/// the file.
result<std::unique_ptr<availability_reader>> open_availability_reader(
    const std::filesystem::path& database);

/// `open_availability_reader(database)` then its `availability(query)`: the errors of both.
result<std::vector<availability_row>> query_availability(const std::filesystem::path& database,
                                                         const availability_query& query);

}  // namespace lpda::agent_activity::sqlite
