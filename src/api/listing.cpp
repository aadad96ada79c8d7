#include "lpda/api/listing.hpp"

#include "lpda/core/clock.hpp"
#include "lpda/http/status.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lpda::api {
namespace {

bool parse_int64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != hay.end();
}

std::string snippet(std::string_view body) {
  std::string s(body.substr(0, 200));
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  // A cut can split a UTF-8 sequence; escaping turns its stray bytes into \xNN.
  std::string out = escape_text(s);
  if (body.size() > 200) out += "…";
  return out;
}

std::string where(std::string_view url) {
  return url.empty() ? std::string("listing") : "listing " + http::redact_url(url);
}

result<rapidjson::Document> parse_json(std::string_view body, std::string_view what) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return error(errc::malformed_json, std::string(what) + ": " +
                                           rapidjson::GetParseError_En(doc.GetParseError()) +
                                           " at byte " + std::to_string(doc.GetErrorOffset()));
  }
  return doc;
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  const auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

result<std::string> string_field(const rapidjson::Value& obj, const char* name,
                                 const std::string& context) {
  const auto* v = member(obj, name);
  if (v == nullptr || !v->IsString())
    return error(errc::bad_listing, context + ": field " + name + " missing or not a string");
  return std::string(v->GetString(), v->GetStringLength());
}

result<data_file> parse_file(const rapidjson::Value& f, std::size_t index, const std::string& ctx) {
  const std::string at = ctx + ": file[" + std::to_string(index) + "]";
  if (!f.IsObject()) return error(errc::bad_listing, at + " is not an object");
  auto name = string_field(f, "@name", at);
  if (!name) return name.error();
  const std::string named = at + " \"" + escape_text(*name) + "\"";
  auto href = string_field(f, "@href", named);
  if (!href) return href.error();
  auto start_text = string_field(f, "@scopeStartDate", named);
  if (!start_text) return start_text.error();
  auto end_text = string_field(f, "@scopeEndDate", named);
  if (!end_text) return end_text.error();

  auto parts = parse_file_name(*name);
  if (!parts) return error(errc::bad_listing, named + ": " + parts.error().message);
  auto start = parse_iso8601_ms(*start_text);
  if (!start) return error(errc::bad_listing, named + ": @scopeStartDate " + start.error().message);
  auto end = parse_iso8601_ms(*end_text);
  if (!end) return error(errc::bad_listing, named + ": @scopeEndDate " + end.error().message);
  if (*start != parts->scope_start_ms || *end != parts->scope_end_ms) {
    return error(errc::bad_listing, named + ": scope dates " + escape_text(*start_text) + " .. " +
                                        escape_text(*end_text) + " (" + std::to_string(*start) +
                                        " .. " + std::to_string(*end) +
                                        " ms) differ from the epochs in the name (" +
                                        std::to_string(parts->scope_start_ms) + " .. " +
                                        std::to_string(parts->scope_end_ms) + " ms)");
  }
  data_file out;
  out.name = *name;
  out.key = *name;
  if (out.key.size() >= 3 && out.key.compare(out.key.size() - 3, 3, ".gz") == 0)
    out.key.resize(out.key.size() - 3);
  out.href = std::move(*href);
  out.part = parts->part;
  out.scope_start_ms = *start;
  out.scope_end_ms = *end;
  return out;
}

std::string hex64(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = digits[v & 0xfu];
  return out;
}

// FNV-1a, 64 bit (http://www.isthe.com/chongo/tech/comp/fnv/): deterministic across builds and
// machines, which std::hash is not; the key only has to be stable, not secure.
std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<std::string> optional_string(const rapidjson::Value& f, const char* name) {
  const auto* v = member(f, name);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

rejected_entry reject(const rapidjson::Value& f, std::size_t index, lpda::error reason) {
  rejected_entry out;
  out.index = index;
  out.name = optional_string(f, "@name");
  out.href = optional_string(f, "@href");
  if (out.name) {
    if (auto parts = parse_file_name(*out.name)) out.name_parts = std::move(*parts);
  }
  out.reason = std::move(reason);
  if (out.name) {
    // The name alone: other fields (a signed @href with a fresh query, say) may change on every
    // listing, and a key that changes is never quarantined and holds the watermark forever.
    out.entry_key = "listing-entry:" + hex64(fnv1a64(*out.name));
    return out;
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  if (f.IsObject()) {
    // Every member but @href, in listed order.
    w.StartObject();
    for (auto m = f.MemberBegin(); m != f.MemberEnd(); ++m) {
      if (std::string_view(m->name.GetString(), m->name.GetStringLength()) == "@href") continue;
      m->name.Accept(w);
      m->value.Accept(w);
    }
    w.EndObject();
  } else {
    f.Accept(w);
  }
  out.entry_key = "listing-entry:" + hex64(fnv1a64(std::string_view(sb.GetString(), sb.GetSize())));
  return out;
}

void add_entry(const rapidjson::Value& f, std::size_t index, const std::string& ctx,
               file_listing& out) {
  auto parsed = parse_file(f, index, ctx);
  if (parsed)
    out.files.push_back(std::move(*parsed));
  else
    out.rejected.push_back(reject(f, index, std::move(parsed.error())));
}

}  // namespace

std::string ledger_key(const rejected_entry& entry) {
  constexpr std::string_view derived_prefix = "listing-entry:";
  if (!entry.name) return entry.entry_key;
  std::string_view n = *entry.name;
  if (n.size() >= 3 && n.substr(n.size() - 3) == ".gz") n.remove_suffix(3);
  const bool usable = !n.empty() && n.size() <= 255 &&
                      n.substr(0, derived_prefix.size()) != derived_prefix &&
                      std::all_of(n.begin(), n.end(), [](char c) { return c > ' ' && c <= '~'; });
  return usable ? std::string(n) : entry.entry_key;
}

result<file_name_parts> parse_file_name(std::string_view name) {
  std::string_view s = name;
  if (s.size() >= 3 && s.substr(s.size() - 3) == ".gz") s.remove_suffix(3);
  auto bad = [&name](const char* why) {
    return error(errc::bad_listing, "file name \"" + escape_text(name) +
                                        "\" is not <Prefix>.<startMs>.<endMs>.part-N-k: " + why);
  };
  const auto d3 = s.rfind('.');
  if (escape_text(name) != name) return bad("control character or invalid UTF-8");
  if (d3 == std::string_view::npos) return bad("no dots");
  const std::string_view part = s.substr(d3 + 1);
  const auto d2 = s.rfind('.', d3 == 0 ? 0 : d3 - 1);
  if (d2 == std::string_view::npos || d2 == d3) return bad("too few fields");
  const auto d1 = s.rfind('.', d2 == 0 ? 0 : d2 - 1);
  if (d1 == std::string_view::npos || d1 == d2 || d1 == 0) return bad("too few fields");
  file_name_parts out;
  out.prefix = std::string(s.substr(0, d1));
  if (!parse_int64(s.substr(d1 + 1, d2 - d1 - 1), out.scope_start_ms)) return bad("start epoch");
  if (!parse_int64(s.substr(d2 + 1, d3 - d2 - 1), out.scope_end_ms)) return bad("end epoch");
  if (part.substr(0, 5) != "part-") return bad("no part-");
  const std::string_view nk = part.substr(5);
  const auto dash = nk.find('-');
  if (dash == std::string_view::npos) return bad("part without -k");
  if (!parse_int(nk.substr(0, dash), out.part) || !parse_int(nk.substr(dash + 1), out.sub_part))
    return bad("part number");
  return out;
}

result<std::int64_t> parse_iso8601_ms(std::string_view text) {
  auto ms = lpda::parse_iso8601_ms(text, iso8601_form::date_time);
  if (!ms)
    return error(errc::bad_listing,
                 "\"" + escape_text(text) + "\" is not an ISO 8601 date-time with an offset");
  return *ms;
}

bool is_empty_listing_answer(unsigned status, std::string_view body) {
  return (status < 200 || status >= 300) && contains_ci(body, "No Available Files");
}

result<file_listing> parse_listing(unsigned status, std::string_view body, std::string_view url) {
  const std::string ctx = where(url);
  if (status < 200 || status >= 300) {
    if (is_empty_listing_answer(status, body)) return file_listing{};
    std::string detail;
    if (auto e = parse_error_body(body)) {
      detail = escape_text(e->message);
      if (!e->internal_code.empty())
        detail += " (internalCode " + escape_text(e->internal_code) + ")";
    } else if (!body.empty()) {
      detail = snippet(body);
    }
    return http::status_error(status, url.empty() ? std::string_view("listing") : url, detail);
  }
  auto doc = parse_json(body, ctx);
  if (!doc) return doc.error();
  if (!doc->IsObject()) return error(errc::bad_listing, ctx + ": top level is not an object");
  file_listing out;
  const auto* daf = member(*doc, "dataAccessFiles");
  if (daf == nullptr || daf->IsNull()) return out;
  if (!daf->IsObject()) return error(errc::bad_listing, ctx + ": dataAccessFiles is not an object");
  const auto* file = member(*daf, "file");
  if (file == nullptr || file->IsNull()) return out;
  if (file->IsArray()) {
    out.files.reserve(file->Size());
    for (rapidjson::SizeType i = 0; i < file->Size(); ++i) add_entry((*file)[i], i, ctx, out);
  } else {
    // One object is the API's one-file array collapsed to its value; any other value (a string,
    // a number) is read the same way, as one entry that is rejected, so it cannot block the
    // account: it is quarantined like any malformed entry.
    add_entry(*file, 0, ctx, out);
  }
  return out;
}

result<std::vector<data_type_link>> parse_base_resource(std::string_view body) {
  auto doc = parse_json(body, "base resource");
  if (!doc) return doc.error();
  const auto* le = member(*doc, "le");
  if (le == nullptr || !le->IsObject())
    return error(errc::bad_listing, "base resource: no \"le\" object");
  std::vector<data_type_link> out;
  const auto* link = member(*le, "link");
  if (link == nullptr || link->IsNull()) return out;
  auto add = [&out](const rapidjson::Value& l, std::size_t i) -> result<void> {
    const std::string at = "base resource: link[" + std::to_string(i) + "]";
    auto rel = string_field(l, "@rel", at);
    if (!rel) return rel.error();
    auto href = string_field(l, "@href", at);
    if (!href) return href.error();
    if (*rel != "self" && *rel != "schema") out.push_back({std::move(*rel), std::move(*href)});
    return {};
  };
  if (link->IsArray()) {
    for (rapidjson::SizeType i = 0; i < link->Size(); ++i)
      if (auto r = add((*link)[i], i); !r) return r.error();
  } else if (link->IsObject()) {
    if (auto r = add(*link, 0); !r) return r.error();
  } else {
    return error(errc::bad_listing, "base resource: link is neither an array nor an object");
  }
  return out;
}

}  // namespace lpda::api
