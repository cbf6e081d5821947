#pragma once
// Timestamps the project store writes.

#include <string>

namespace loctex::core {

// Now as ISO 8601 UTC with milliseconds, "2024-05-01T12:34:56.789Z": text
// that sorts in time order, also for edits within one second.
std::string utc_now();

}  // namespace loctex::core
