#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <string_view>

namespace lpda::cli {
namespace {

// `text` escaped as a JSON string body (RFC 8259 §7), so a message with quotes or control
// characters still yields one valid JSON object per line.
void append_json_escaped(std::string_view text, spdlog::memory_buf_t& dest) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      dest.push_back('\\');
      dest.push_back(c);
    } else if (u < 0x20) {
      const char esc[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 0xF]};
      dest.append(esc, esc + 6);
    } else {
      dest.push_back(c);
    }
  }
}

// %v as a JSON string body.
class json_escaped_message final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_escaped_message>();
  }
};

// The subject of a line as fields of its own: the leading `account=… data_type=… file=…
// attempt=…:` of a message becomes `"account":"…","data_type":"…","file":"…","attempt":N,`, so a
// log collector filters on them without parsing `msg` (which keeps the whole text). Nothing for
// a message without that prefix.
class json_subject_fields final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view rest(msg.payload.data(), msg.payload.size());
    spdlog::memory_buf_t fields;
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      std::string_view token = rest.substr(0, space);
      const bool last = token.ends_with(':');
      if (last) token.remove_suffix(1);
      const auto eq = token.find('=');
      if (eq == std::string_view::npos) break;
      const std::string_view key = token.substr(0, eq), value = token.substr(eq + 1);
      if (key != "account" && key != "data_type" && key != "file" && key != "attempt") break;
      if (value.empty()) break;
      fields.push_back('"');
      fields.append(key.data(), key.data() + key.size());
      fields.append(std::string_view("\":"));
      const bool number =
          key == "attempt" && value.find_first_not_of("0123456789") == std::string_view::npos;
      if (!number) fields.push_back('"');
      append_json_escaped(value, fields);
      if (!number) fields.push_back('"');
      fields.push_back(',');
      if (last || space == std::string_view::npos) {
        dest.append(fields.data(), fields.data() + fields.size());
        return;
      }
      rest.remove_prefix(space + 1);
    }
    // No prefix ending in ':' — a message that merely starts like one keeps no fields.
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_subject_fields>();
  }
};

spdlog::level::level_enum to_spdlog(config::log_level l) {
  switch (l) {
    case config::log_level::trace:
      return spdlog::level::trace;
    case config::log_level::debug:
      return spdlog::level::debug;
    case config::log_level::info:
      return spdlog::level::info;
    case config::log_level::warn:
      return spdlog::level::warn;
    case config::log_level::error:
      return spdlog::level::err;
    case config::log_level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void setup_logging(const config::log_settings& settings) {
  auto logger = std::make_shared<spdlog::logger>("lpda-sync",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (settings.format == config::log_format::json) {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<json_escaped_message>('*').add_flag<json_subject_fields>('&').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%&"msg":"%*"})");
    logger->set_formatter(std::move(f));
  } else if (std::getenv("JOURNAL_STREAM") != nullptr) {
    logger->set_pattern("%l: %v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l: %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(to_spdlog(settings.level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace lpda::cli
