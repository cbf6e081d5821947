#include "trainer/batch_loader.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <variant>

#include "pipeline/manifest.h"
#include "pipeline/npy.h"
#include "pipeline/shard_reader.h"
#include "trainer/augment.h"

// Threads and queues (one mutex guards all shared state):
//
//   reader ──Item──▶ m_work ──▶ workers ──Decoded──▶ m_done (by position)
//     ──▶ assembler (in stream order) ──Batch──▶ m_batches (≤ prefetch) ──▶ next()
//
// The reader decides the order of samples: it numbers them with a position
// in the stream and an index in their epoch. Workers finish in any order;
// the assembler takes positions in order, drops samples that failed and
// fills batches of batch_size, so batches do not depend on the number of
// workers. The reader runs at most kWindow samples ahead of the assembler,
// which bounds the memory of samples in flight.

namespace loctex::trainer {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

// Samples the shuffle buffer holds (WebDataset's shuffle(1000)): a small
// split is shuffled whole.
constexpr std::size_t kShuffleBuffer = 1000;

// Streams of random numbers, derived from the seed.
constexpr std::uint64_t kOrderStream = 1;   // per epoch: shard order and shuffle buffer
constexpr std::uint64_t kSampleStream = 2;  // per sample: its augmentation

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t epoch,
                          std::uint64_t index = 0) {
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ stream);
  h = splitmix64(h ^ epoch);
  return splitmix64(h ^ index);
}

struct ShardInfo {
  fs::path path;
  std::size_t samples = 0;
  std::uint64_t bytes = 0;
};

// A sample as read, in stream order.
struct Item {
  std::uint64_t position = 0;  // in the stream after the skipped samples
  std::int64_t epoch = 0;
  std::uint64_t index = 0;  // in its epoch, skipped samples included
  const ShardInfo* shard = nullptr;
  pipeline::ShardSample sample;
};

// A sample ready for a batch, or a failed one (ok false).
struct Decoded {
  bool ok = false;
  std::int64_t epoch = 0;
  std::string key;
  std::vector<float> image;             // (3, S, S)
  std::vector<std::int64_t> tokens;     // (L)
  std::vector<float> heatmaps;          // (L, g, g)
  std::vector<std::uint8_t> has_trace;  // (L)
};

struct EndOfPass {};
using Entry = std::variant<Batch, std::exception_ptr, EndOfPass>;

const std::string& file_of(const pipeline::ShardSample& sample, const std::string& extension) {
  const auto it = sample.files.find(extension);
  if (it == sample.files.end()) throw std::runtime_error("no " + sample.key + "." + extension);
  return it->second;
}

}  // namespace

class BatchLoader::Impl {
 public:
  Impl(const DataConfig& data, const core::Vocabulary& vocabulary, LoaderOptions options)
      : m_data(data), m_vocabulary(vocabulary), m_options(std::move(options)) {
    const auto& o = m_options;
    if (o.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
    if (o.image_size < 32 || o.image_size % 32 != 0)
      throw std::invalid_argument("image_size must be a positive multiple of 32, got " +
                                  std::to_string(o.image_size));
    if (o.max_words < 1) throw std::invalid_argument("max_words must be at least 1");
    if (o.skip_batches < 0) throw std::invalid_argument("skip_batches must be >= 0");
    if (m_data.workers < 1 || m_data.prefetch < 1)
      throw std::invalid_argument("data.workers and data.prefetch must be at least 1");
    pipeline::Split split;
    if (o.split == "train")
      split = pipeline::Split::train;
    else if (o.split == "val")
      split = pipeline::Split::val;
    else
      throw std::invalid_argument("split must be train or val, got '" + o.split + "'");

    const fs::path manifest_path = m_data.shards / pipeline::kManifestName;
    for (const auto& shard : pipeline::read_manifest(manifest_path).shards) {
      if (shard.split != split) continue;
      m_shards.push_back({m_data.shards / shard.name, shard.samples, shard.bytes});
      m_epoch_samples += shard.samples;
    }
    if (m_epoch_samples == 0)
      throw std::runtime_error(manifest_path.string() + ": no sample of split '" + o.split + "'");

    m_grid = o.image_size / 32;
    m_length = static_cast<std::size_t>(o.max_words) + 1;
    m_window = static_cast<std::uint64_t>(o.batch_size) + 4 * static_cast<std::uint64_t>(m_data.workers);

    try {
      m_threads.emplace_back([this] { read(); });
      for (int i = 0; i < m_data.workers; ++i) m_threads.emplace_back([this] { work(); });
      m_threads.emplace_back([this] { assemble(); });
    } catch (...) {
      stop();
      throw;
    }
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { stop(); }

  std::optional<Batch> next() {
    if (m_failure) std::rethrow_exception(m_failure);
    if (m_finished) return std::nullopt;
    const auto start = Clock::now();
    std::unique_lock lock(m_mutex);
    m_batch_ready.wait(lock, [&] { return !m_batches.empty(); });
    Entry entry = std::move(m_batches.front());
    m_batches.pop_front();
    m_batch_taken.notify_one();
    m_stats.wait_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (auto* error = std::get_if<std::exception_ptr>(&entry)) {
      m_failure = *error;
      std::rethrow_exception(m_failure);
    }
    if (std::holds_alternative<EndOfPass>(entry)) {
      m_finished = true;
      return std::nullopt;
    }
    auto& batch = std::get<Batch>(entry);
    ++m_stats.batches;
    m_stats.samples += batch.images.size(0);
    return std::move(batch);
  }

  LoaderStats stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
  }

 private:
  void stop() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_work_ready.notify_all();
    m_window_open.notify_all();
    m_done_ready.notify_all();
    m_batch_taken.notify_all();
    for (auto& thread : m_threads)
      if (thread.joinable()) thread.join();
  }

  // ---- reader -------------------------------------------------------------

  void read() {
    try {
      auto skip = static_cast<std::uint64_t>(m_options.skip_batches) *
                  static_cast<std::uint64_t>(m_options.batch_size);
      for (std::int64_t epoch = 0; m_options.repeat || epoch == 0; ++epoch) {
        // An epoch's order depends on (seed, epoch) alone, so whole epochs
        // are skipped without reading them.
        if (skip >= m_epoch_samples) {
          skip -= m_epoch_samples;
          continue;
        }
        if (!read_epoch(epoch, skip)) return;
      }
      std::lock_guard lock(m_mutex);
      m_stream_end = m_issued;
    } catch (...) {
      std::lock_guard lock(m_mutex);
      m_reader_error = std::current_exception();
      m_stream_end = m_issued;
    }
    m_done_ready.notify_all();
  }

  // False when stopped.
  bool read_epoch(std::int64_t epoch, std::uint64_t& skip) {
    std::mt19937_64 rng(derive_seed(m_options.seed, kOrderStream, static_cast<std::uint64_t>(epoch)));
    std::vector<const ShardInfo*> order;
    for (const auto& shard : m_shards) order.push_back(&shard);
    if (m_options.shuffle)  // Fisher-Yates with our own draws: std::shuffle differs between libraries
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[uniform_index(rng, i)]);

    std::uint64_t index = 0;
    const auto emit = [&](const ShardInfo* shard, pipeline::ShardSample sample) {
      if (skip > 0) {
        --skip;
        ++index;
        return true;
      }
      std::unique_lock lock(m_mutex);
      m_window_open.wait(lock, [&] { return m_stop || m_issued - m_assembled < m_window; });
      if (m_stop) return false;
      m_work.push_back({m_issued++, epoch, index++, shard, std::move(sample)});
      lock.unlock();
      m_work_ready.notify_one();
      return true;
    };

    std::vector<std::pair<const ShardInfo*, pipeline::ShardSample>> buffer;
    const auto emit_from_buffer = [&] {
      const auto j = uniform_index(rng, buffer.size());
      auto [shard, sample] = std::move(buffer[j]);
      buffer[j] = std::move(buffer.back());
      buffer.pop_back();
      return emit(shard, std::move(sample));
    };
    for (const ShardInfo* shard : order) {
      std::error_code ec;
      const auto bytes = fs::file_size(shard->path, ec);
      if (ec) throw std::runtime_error("cannot read " + shard->path.string() + ": " + ec.message());
      if (bytes != shard->bytes)
        throw std::runtime_error("cannot read " + shard->path.string() + ": " + std::to_string(bytes) +
                                 " bytes, the manifest says " + std::to_string(shard->bytes) +
                                 " (a damaged or replaced shard)");
      pipeline::ShardReader reader(shard->path);
      std::size_t count = 0;
      while (auto sample = reader.next()) {
        ++count;
        if (stopping()) return false;
        if (!m_options.shuffle) {
          if (!emit(shard, std::move(*sample))) return false;
          continue;
        }
        buffer.emplace_back(shard, std::move(*sample));
        if (buffer.size() >= kShuffleBuffer && !emit_from_buffer()) return false;
      }
      if (count != shard->samples)
        throw std::runtime_error("cannot read " + shard->path.string() + ": " + std::to_string(count) +
                                 " samples, the manifest says " + std::to_string(shard->samples));
    }
    while (!buffer.empty())
      if (!emit_from_buffer()) return false;
    return true;
  }

  bool stopping() const {
    std::lock_guard lock(m_mutex);
    return m_stop;
  }

  // ---- workers ------------------------------------------------------------

  void work() {
    for (;;) {
      std::unique_lock lock(m_mutex);
      m_work_ready.wait(lock, [&] { return m_stop || !m_work.empty(); });
      if (m_stop) return;
      Item item = std::move(m_work.front());
      m_work.pop_front();
      lock.unlock();

      Decoded decoded;
      std::string failure;
      try {
        decoded = decode(item);
      } catch (const std::exception& e) {
        failure = e.what();
      } catch (...) {
        failure = "unknown error";
      }
      decoded.epoch = item.epoch;
      decoded.key = item.sample.key;

      lock.lock();
      if (!decoded.ok) {
        ++m_stats.skipped_samples;
        if (m_reported.insert(item.shard->path.string() + "/" + item.sample.key).second)
          std::cerr << ("skipped sample " + item.sample.key + " of " + item.shard->path.string() + ": " +
                        failure + "\n")
                    << std::flush;
      }
      const bool wanted = item.position == m_assembled;
      m_done.emplace(item.position, std::move(decoded));
      lock.unlock();
      if (wanted) m_done_ready.notify_one();
    }
  }

  Decoded decode(const Item& item) const {
    const auto& sample = item.sample;
    const Json json = Json::parse(file_of(sample, "json"));
    const auto& words = json.at("words");
    std::vector<std::string> texts;
    std::vector<bool> traced;
    for (const auto& word : words) {
      texts.push_back(word.at("text").get<std::string>());
      traced.push_back(word.at("has_trace").get<bool>());
    }
    const auto npy = pipeline::decode_npy(file_of(sample, "heatmaps.npy"));
    if (npy.shape.size() != 3 || npy.shape[0] != texts.size() || npy.shape[1] != npy.shape[2] ||
        npy.shape[1] == 0)
      throw std::runtime_error("heatmaps.npy does not hold one square map per word of the json (" +
                               std::to_string(texts.size()) + " words)");
    const int grid = static_cast<int>(npy.shape[1]);
    const std::vector<float> maps = npy.to_floats();

    const std::string& jpg = file_of(sample, "jpg");
    const cv::Mat image = cv::imdecode(
        cv::Mat(1, static_cast<int>(jpg.size()), CV_8U, const_cast<char*>(jpg.data())), cv::IMREAD_COLOR);
    if (image.empty()) throw std::runtime_error("jpg does not decode");

    // The sample's own generator: its augmentation depends on the seed, the
    // epoch and its place in the epoch, not on which thread runs it or when.
    std::mt19937_64 rng(
        derive_seed(m_options.seed, kSampleStream, static_cast<std::uint64_t>(item.epoch), item.index));
    const AugmentParams params = m_options.augment ? draw_augment(image.cols, image.rows, m_data.augment, rng)
                                                   : evaluation_params(image.cols, image.rows);

    const int size = m_options.image_size;
    const std::size_t cells = static_cast<std::size_t>(m_grid) * static_cast<std::size_t>(m_grid);
    const std::size_t map_cells = static_cast<std::size_t>(grid) * static_cast<std::size_t>(grid);
    Decoded out;
    out.image.resize(3 * static_cast<std::size_t>(size) * static_cast<std::size_t>(size));
    augment_image(image, params, size, out.image);
    out.tokens = caption_tokens(texts, m_vocabulary, m_options.max_words, params.flip);
    out.heatmaps.assign(m_length * cells, 0.0f);
    out.has_trace.assign(m_length, 0);
    const HeatmapPooling pooling(grid, params.crop, m_grid, params.flip);
    const std::size_t kept = std::min(texts.size(), m_length - 1);
    for (std::size_t w = 0; w < kept; ++w) {
      if (!traced[w]) continue;
      const std::span<float> slot(out.heatmaps.data() + (w + 1) * cells, cells);
      out.has_trace[w + 1] =
          pooling.pool(std::span<const float>(maps).subspan(w * map_cells, map_cells), slot);
    }
    out.ok = true;
    return out;
  }

  // ---- assembler ----------------------------------------------------------

  void assemble() {
    std::vector<Decoded> pending;
    std::uint64_t failures_in_a_row = 0;
    try {
      for (;;) {
        std::unique_lock lock(m_mutex);
        m_done_ready.wait(
            lock, [&] { return m_stop || m_done.contains(m_assembled) || m_stream_end == m_assembled; });
        if (m_stop) return;
        if (!m_done.contains(m_assembled)) {  // the end of the stream
          if (m_reader_error) {               // the batch in progress is dropped
            push(lock, m_reader_error);
            return;
          }
          if (!pending.empty()) {  // the short last batch of a pass
            lock.unlock();
            Batch batch = make_batch(pending);
            lock.lock();
            if (!push(lock, std::move(batch))) return;
          }
          push(lock, EndOfPass{});
          return;
        }
        Decoded decoded = std::move(m_done.extract(m_assembled).mapped());
        ++m_assembled;
        lock.unlock();
        m_window_open.notify_one();

        if (!decoded.ok) {
          if (++failures_in_a_row >= m_epoch_samples)
            throw std::runtime_error("none of the " + std::to_string(m_epoch_samples) +
                                     " samples of split '" + m_options.split + "' in " +
                                     m_data.shards.string() + " could be decoded");
          continue;
        }
        failures_in_a_row = 0;
        pending.push_back(std::move(decoded));
        if (pending.size() < static_cast<std::size_t>(m_options.batch_size)) continue;
        Batch batch = make_batch(pending);
        pending.clear();
        lock.lock();
        if (!push(lock, std::move(batch))) return;
      }
    } catch (...) {
      std::unique_lock lock(m_mutex);
      m_batches.emplace_back(std::current_exception());  // past the prefetch bound: it ends the stream
      m_batch_ready.notify_one();
    }
  }

  // Waits for room in the batch queue; false when stopped.
  bool push(std::unique_lock<std::mutex>& lock, Entry entry) {
    m_batch_taken.wait(
        lock, [&] { return m_stop || m_batches.size() < static_cast<std::size_t>(m_data.prefetch); });
    if (m_stop) return false;
    m_batches.push_back(std::move(entry));
    m_batch_ready.notify_one();
    return true;
  }

  Batch make_batch(const std::vector<Decoded>& samples) const {
    const auto n = static_cast<std::int64_t>(samples.size());
    const std::int64_t size = m_options.image_size;
    const auto length = static_cast<std::int64_t>(m_length);
    Batch batch;
    // shape: (batch, 3, S, S)
    batch.images = torch::empty({n, 3, size, size}, torch::kFloat32);
    // shape: (batch, L)
    batch.tokens = torch::empty({n, length}, torch::kInt64);
    // shape: (batch, L, g, g)
    batch.heatmaps = torch::empty({n, length, m_grid, m_grid}, torch::kFloat32);
    // shape: (batch, L)
    batch.has_trace = torch::empty({n, length}, torch::kBool);
    auto* images = batch.images.data_ptr<float>();
    auto* tokens = batch.tokens.data_ptr<std::int64_t>();
    auto* heatmaps = batch.heatmaps.data_ptr<float>();
    auto* has_trace = batch.has_trace.data_ptr<bool>();
    for (const auto& s : samples) {
      images = std::copy(s.image.begin(), s.image.end(), images);
      tokens = std::copy(s.tokens.begin(), s.tokens.end(), tokens);
      heatmaps = std::copy(s.heatmaps.begin(), s.heatmaps.end(), heatmaps);
      for (const std::uint8_t t : s.has_trace) *has_trace++ = t != 0;
      batch.keys.push_back(s.key);
    }
    batch.epoch = samples.front().epoch;
    return batch;
  }

  const DataConfig m_data;
  const core::Vocabulary m_vocabulary;
  const LoaderOptions m_options;
  std::vector<ShardInfo> m_shards;  // of the split, in manifest order
  std::uint64_t m_epoch_samples = 0;
  int m_grid = 0;            // g = S / 32
  std::size_t m_length = 0;  // L = max_words + 1
  std::uint64_t m_window = 0;

  mutable std::mutex m_mutex;
  std::condition_variable m_work_ready;   // m_work has an item
  std::condition_variable m_window_open;  // m_assembled moved on
  std::condition_variable m_done_ready;   // the position the assembler wants is done, or the stream ended
  std::condition_variable m_batch_ready;  // m_batches has an entry
  std::condition_variable m_batch_taken;  // m_batches has room
  bool m_stop = false;
  std::deque<Item> m_work;
  std::map<std::uint64_t, Decoded> m_done;
  std::uint64_t m_issued = 0;     // positions handed to the workers
  std::uint64_t m_assembled = 0;  // positions the assembler has taken
  std::optional<std::uint64_t> m_stream_end;
  std::exception_ptr m_reader_error;  // raised where the stream ends
  std::deque<Entry> m_batches;
  std::set<std::string> m_reported;  // samples whose failure was printed
  LoaderStats m_stats;

  // The consumer's own (next() is called from one thread).
  std::exception_ptr m_failure;
  bool m_finished = false;

  std::vector<std::thread> m_threads;  // last: joined before the rest is destroyed
};

BatchLoader::BatchLoader(const DataConfig& data, const core::Vocabulary& vocabulary, LoaderOptions options)
    : m_impl(std::make_unique<Impl>(data, vocabulary, std::move(options))) {}
BatchLoader::~BatchLoader() = default;

std::optional<Batch> BatchLoader::next() { return m_impl->next(); }
LoaderStats BatchLoader::stats() const { return m_impl->stats(); }

}  // namespace loctex::trainer
