#pragma once
// The fast path of parse_narrative: simdjson's On-Demand parser reads a
// well-formed record with exactly the seven Localized Narratives fields
// straight into a Narrative, without building a JSON tree (a tenth of the
// time of nlohmann's DOM on a 600-point record; the dataset builder reads
// every record on one thread, so this bounds its speed). Anything it does
// not take (bad JSON, a wrong type, a missing, repeated or unknown field, an
// end_time before its start_time, an integer annotator_id out of range) gives
// nothing, and parse_narrative parses the record again with nlohmann, which
// either accepts it (an unknown field is kept in `extra`) or names the
// problem. So both paths accept the same records and give the same values;
// tests/ln_jsonl_test.cpp checks it.

#include <optional>
#include <string_view>

#include "core/narrative.h"

namespace loctex::core {

// The record in `json_text`, or nothing if the slow path must decide.
std::optional<Narrative> parse_narrative_fast(std::string_view json_text);

}  // namespace loctex::core
