#include "core/utc_time.h"

#include <chrono>
#include <ctime>

namespace loctex::core {

std::string utc_now() {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  const auto millis = std::to_string(1000 + ms % 1000).substr(1);  // zero-padded to 3 digits
  return std::string(date) + "." + millis + "Z";
}

}  // namespace loctex::core
