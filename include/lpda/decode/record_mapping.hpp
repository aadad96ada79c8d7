#pragma once
/// What a data type supplies to decode its files: the positions of its record inside each item of
/// an envelope's `recordCollection`, and what to do with the values found there.
///
/// The document framing layer (`document_reader`) reads every top-level document, finds the Data
/// Access envelope `{"dataType", "metaData", "recordCollection"}`, removes Avro union wrappers,
/// skips what the mapping does not name, keeps the JSON path for messages and enforces the caps;
/// it calls the mapping only for positions the mapping named. A mapping turns those calls into
/// typed records (`record_mapping_of<Record>::emit`).
#include "lpda/decode/avro_json.hpp"

#include <cstdint>
#include <deque>
#include <span>
#include <string_view>
#include <utility>

namespace lpda::decode {

/// A position in a record as a mapping numbers them: an index into `record_mapping::nodes()`.
using node = std::uint16_t;
/// A value nobody reads (skipped, whatever it holds).
inline constexpr node skip = 0xFFFF;
/// Node numbers from here up are the framing layer's own.
inline constexpr node first_reserved_node = 0xFF00;

enum class node_kind : std::uint8_t { object, array, scalar };

/// One position of a record.
struct node_info {
  node_kind kind = node_kind::scalar;
  /// For a scalar: what it accepts, for "expected <this>, got …" (e.g. "a string"). Objects say
  /// "an object" and arrays "an array" on their own.
  std::string_view expected;
  /// For an array: the node of each item (`skip` when the items are not read).
  node item = skip;
};

/// A data type's mapping. Calls come in document order, one document after the other; a mapping
/// keeps the state of the record being read. `null` in place of an object or array (other than the
/// envelope) means an empty one and causes no call.
class record_mapping {
 public:
  virtual ~record_mapping() = default;

  /// Every node, indexed by node number (fewer than `first_reserved_node`).
  virtual std::span<const node_info> nodes() const = 0;
  /// The object node of one item of `recordCollection`.
  virtual node record() const = 0;
  /// The node of key `key` (as written in the file) inside object node `parent`, or `skip`.
  virtual node child(node parent, std::string_view key) const = 0;

  /// A new document starts: drop whatever a failed document left half read.
  virtual void begin_document() = 0;
  /// Object node `n` starts (its first key other than a union branch has been read, or it is `{}`).
  virtual void begin_object(node n) = 0;
  /// Object node `n` ends. A refusal is the rest of the message after the object's path, e.g.
  /// ".agentID: missing".
  virtual refusal end_object(node n) = 0;
  /// Array node `n` starts.
  virtual void begin_array(node n) = 0;
  /// Scalar node `n` holds `v`. A refusal is the reason after the value's path.
  virtual refusal assign(node n, const scalar& v) = 0;
};

/// A mapping that produces records of type `Record`, queued until the decoder hands them out.
template <class Record>
class record_mapping_of : public record_mapping {
 public:
  using record_type = Record;
  /// Completed records, in file order.
  std::deque<Record>& ready() noexcept { return ready_; }

 protected:
  void emit(Record&& r) { ready_.push_back(std::move(r)); }

 private:
  std::deque<Record> ready_;
};

}  // namespace lpda::decode
