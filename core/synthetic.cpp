#include "core/synthetic.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.h"
#include "core/ln_jsonl.h"
#include "core/words.h"

namespace loctex::core {
namespace {

constexpr double kPi = std::numbers::pi;

// ------------------------------------------------------------ randomness

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Separate streams keep the parts of a sample independent of each other: a
// change to the background texture must not reshuffle captions or traces.
enum class Stream : std::uint64_t { layout = 1, speech, trace, image, annotator };

// Every draw is built from the raw engine output. mt19937_64 is specified bit
// for bit by the standard; std::uniform_*_distribution and
// std::normal_distribution are not, and differ between standard libraries.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t key, Stream stream)
      : m_engine(splitmix64(splitmix64(splitmix64(seed) ^ key) ^ static_cast<std::uint64_t>(stream))) {}

  std::uint64_t bits() { return m_engine(); }
  // [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // [lo, hi], rejecting the top partial block so that no value is favoured.
  int uniform_int(int lo, int hi) {
    const auto range = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo) + 1;
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = kMax - kMax % range;
    std::uint64_t draw = m_engine();
    while (draw >= limit) draw = m_engine();
    return static_cast<int>(lo + static_cast<std::int64_t>(draw % range));
  }
  std::size_t index(std::size_t n) {
    return static_cast<std::size_t>(uniform_int(0, static_cast<int>(n) - 1));
  }
  bool chance(double p) { return uniform() < p; }
  // Box-Muller; 1 - uniform() is in (0, 1], so the log is finite.
  double normal() {
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[index(i)]);
  }

 private:
  std::mt19937_64 m_engine;
};

// ------------------------------------------------------------ geometry

struct Vec2 {
  double x = 0.0;
  double y = 0.0;
};
Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
Vec2 operator*(double s, Vec2 a) { return {s * a.x, s * a.y}; }

Vec2 rotate(Vec2 p, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {c * p.x - s * p.y, s * p.x + c * p.y};
}

// Same order as kSynthShapes.
enum class ShapeKind { circle, square, triangle, diamond, star, cross, ring };
static_assert(std::size(kSynthShapes) == 7);
// Objects of one image never share a colour.
static_assert(kSynthMaxObjects <= std::ssize(kSynthColours));

// A shape as drawn, in OpenCV pixel coordinates (an integer is a pixel centre).
struct Shape {
  ShapeKind kind = ShapeKind::circle;
  std::size_t colour = 0;  // index into kSynthColours
  std::size_t size = 0;    // index into kSynthSizes
  Vec2 centre;             // of the box
  double radius = 0.0;     // circle and ring: outer radius
  double ring_width = 0.0;
  std::vector<Vec2> polygon;          // everything else, relative to centre
  double half_w = 0.0, half_h = 0.0;  // half extents of the tight box
  std::array<unsigned char, 3> rgb{};

  double left() const { return centre.x - half_w; }
  double right() const { return centre.x + half_w; }
  double top() const { return centre.y - half_h; }
  double bottom() const { return centre.y + half_h; }
};

// Builds the outline of a shape whose box has `s` pixels on its longer side,
// centred on that box so that the box centre is what position words describe.
// Outlines are drawn at unit size, rotated, then scaled to fit.
void build_outline(Shape& shape, double s, double angle) {
  std::vector<Vec2> pts;
  switch (shape.kind) {
    case ShapeKind::circle:
    case ShapeKind::ring:
      shape.radius = s / 2;
      shape.half_w = shape.half_h = shape.radius;
      shape.ring_width = std::max(2.0, s * 0.16);
      return;
    case ShapeKind::square:
      pts = {{-0.5, -0.5}, {0.5, -0.5}, {0.5, 0.5}, {-0.5, 0.5}};
      break;
    case ShapeKind::diamond:  // narrower than tall, so no rotation makes it a square
      pts = {{0, -0.5}, {0.36, 0}, {0, 0.5}, {-0.36, 0}};
      angle *= 0.5;
      break;
    case ShapeKind::triangle:
      for (const double deg : {-90.0, 30.0, 150.0}) {
        pts.push_back({std::cos(deg * kPi / 180), std::sin(deg * kPi / 180)});
      }
      break;
    case ShapeKind::star:
      for (int k = 0; k < 10; ++k) {
        const double r = (k % 2 == 0) ? 1.0 : 0.42;
        const double a = (-90.0 + 36.0 * k) * kPi / 180;
        pts.push_back({r * std::cos(a), r * std::sin(a)});
      }
      break;
    case ShapeKind::cross: {
      const double w = 0.17, l = 0.5;
      pts = {{-w, -l}, {w, -l}, {w, -w}, {l, -w}, {l, w},   {w, w},
             {w, l},   {-w, l}, {-w, w}, {-l, w}, {-l, -w}, {-w, -w}};
      break;
    }
  }
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (auto& p : pts) {
    p = rotate(p, angle);
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  // Scaled so that the box's longer side is exactly `s` whatever the shape
  // and rotation: the size word then says how big the box is.
  const Vec2 mid{(x0 + x1) / 2, (y0 + y1) / 2};
  const double scale = s / std::max(x1 - x0, y1 - y0);
  for (auto& p : pts) p = scale * (p - mid);
  shape.polygon = std::move(pts);
  shape.half_w = scale * (x1 - x0) / 2;
  shape.half_h = scale * (y1 - y0) / 2;
}

// The longer side of the box for each size word, as a fraction of the
// image's shorter side. The gaps between the ranges keep the words unambiguous.
constexpr std::array<std::pair<double, double>, 3> kSizeRange = {{{0.13, 0.18}, {0.23, 0.30}, {0.36, 0.44}}};

// ------------------------------------------------------------ layout

bool overlaps(const Shape& a, const Shape& b, double gap) {
  return a.left() < b.right() + gap && b.left() < a.right() + gap && a.top() < b.bottom() + gap &&
         b.top() < a.bottom() + gap;
}

// Each object gets its own cell of a 3x3 grid, so objects spread over the
// image and position words vary. Crowded draws are retried; the last attempt
// uses small shapes at cell centres, which cannot overlap, so min_objects is
// always met.
std::vector<Shape> lay_out(const SynthOptions& o, Rng& rng) {
  const double w = o.width, h = o.height, m = std::min(w, h);
  const double margin = 3.0, gap = 0.03 * m;
  constexpr int kAttempts = 8;
  for (int attempt = 0;; ++attempt) {
    const bool fallback = attempt == kAttempts;
    const auto n = static_cast<std::size_t>(rng.uniform_int(o.min_objects, o.max_objects));
    std::vector<std::size_t> cells{0, 1, 2, 3, 4, 5, 6, 7, 8};
    std::vector<std::size_t> colours(std::size(kSynthColours));
    for (std::size_t i = 0; i < colours.size(); ++i) colours[i] = i;
    rng.shuffle(cells);
    rng.shuffle(colours);  // distinct colours, so "the red one" is never ambiguous
    std::vector<Shape> shapes;
    for (std::size_t cell : cells) {
      if (shapes.size() == n) break;
      Shape shape;
      shape.kind = static_cast<ShapeKind>(rng.index(std::size(kSynthShapes)));
      shape.colour = colours[shapes.size()];
      shape.size = fallback ? 0 : rng.index(std::size(kSynthSizes));
      const auto [lo, hi] = kSizeRange[shape.size];
      build_outline(shape, rng.uniform(lo, hi) * m, fallback ? 0.0 : rng.uniform(-0.2, 0.2));
      const double cell_w = w / 3, cell_h = h / 3;
      const double jitter = fallback ? 0.0 : 0.25;
      Vec2 c{(static_cast<double>(cell % 3) + 0.5 + rng.uniform(-jitter, jitter)) * cell_w,
             (static_cast<double>(cell / 3) + 0.5 + rng.uniform(-jitter, jitter)) * cell_h};
      c.x = std::clamp(c.x, shape.half_w + margin, w - 1 - shape.half_w - margin);
      c.y = std::clamp(c.y, shape.half_h + margin, h - 1 - shape.half_h - margin);
      shape.centre = c;
      const bool clash =
          std::any_of(shapes.begin(), shapes.end(), [&](const Shape& s) { return overlaps(s, shape, gap); });
      if (clash) continue;
      const SynthColour& named = kSynthColours[shape.colour];
      const std::array<unsigned char, 3> base{named.r, named.g, named.b};
      for (std::size_t k = 0; k < 3; ++k) {
        shape.rgb[k] = static_cast<unsigned char>(std::clamp(base[k] + rng.uniform_int(-12, 12), 0, 255));
      }
      shapes.push_back(std::move(shape));
    }
    if (shapes.size() == n) return shapes;
  }
}

// ------------------------------------------------------------ caption

// Centre of the box, normalised.
Vec2 norm_centre(const Shape& s, const SynthOptions& o) {
  return {(s.centre.x + 0.5) / o.width, (s.centre.y + 0.5) / o.height};
}

std::string absolute_position(Vec2 c) {
  static constexpr const char* kPhrases[3][3] = {
      {"at the top left", "at the top", "at the top right"},
      {"on the left", "in the center", "on the right"},
      {"at the bottom left", "at the bottom", "at the bottom right"},
  };
  const auto third = [](double v) { return v < 1.0 / 3 ? 0 : (v < 2.0 / 3 ? 1 : 2); };
  return kPhrases[third(c.y)][third(c.x)];
}

// "below it" and friends, only where one axis clearly dominates; otherwise
// the relation would be a guess and the caption could be false.
std::optional<std::string> relation(const Shape& s, const Shape& previous, const SynthOptions& o) {
  const double dx = s.centre.x - previous.centre.x, dy = s.centre.y - previous.centre.y;
  const double far = 0.15 * std::min(o.width, o.height);
  if (std::abs(dy) >= 2 * std::abs(dx) && std::abs(dy) > far) return dy > 0 ? "below it" : "above it";
  if (std::abs(dx) >= 2 * std::abs(dy) && std::abs(dx) > far) {
    return dx > 0 ? "to the right of it" : "to the left of it";
  }
  return std::nullopt;
}

void append_words(std::vector<std::string>& words, const std::string& text) {
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
}

std::string join(const std::vector<std::string>& words, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin) text += ' ';
    text += words[i];
  }
  return text;
}

// Grammar (docs/synthetic-data.md):
//   caption  := opener object (sep object)* "."
//   object   := "a" SIZE COLOUR SHAPE (position | relation)
//   sep      := "," | "and" (before a sentence's last object)
//             | "." ("There is also" | "We can also see")
// Every size word starts with a consonant, so the article is always "a".
std::vector<std::string> compose_caption(const std::vector<Shape>& shapes, std::vector<SynthObject>& objects,
                                         const SynthOptions& o, Rng& rng) {
  static constexpr const char* kOpeners[] = {"In this image there is", "In this image we can see",
                                             "In this picture we can see", "Here we can see",
                                             "This picture shows"};
  static constexpr const char* kRestarts[] = {"There is also", "We can also see"};
  std::vector<std::string> words;
  append_words(words, kOpeners[rng.index(std::size(kOpeners))]);
  // restart[i]: object i opens a new sentence; the object before a restart
  // (or the last one) is joined with "and".
  std::vector<bool> restart(shapes.size() + 1, true);
  for (std::size_t i = 1; i < shapes.size(); ++i) restart[i] = rng.chance(0.25);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const Shape& s = shapes[i];
    if (i > 0) {
      if (restart[i]) {
        words.back() += '.';
        append_words(words, kRestarts[rng.index(std::size(kRestarts))]);
      } else if (restart[i + 1]) {
        words.push_back("and");
      } else {
        words.back() += ',';
      }
    }
    std::string where = absolute_position(norm_centre(s, o));
    if (i > 0 && rng.chance(0.5)) where = relation(s, shapes[i - 1], o).value_or(where);

    SynthObject obj;
    obj.shape = kSynthShapes[static_cast<std::size_t>(s.kind)];
    obj.colour = kSynthColours[s.colour].name;
    obj.size_word = kSynthSizes[s.size];
    obj.x0 = (s.left() + 0.5) / o.width;
    obj.y0 = (s.top() + 0.5) / o.height;
    obj.x1 = (s.right() + 0.5) / o.width;
    obj.y1 = (s.bottom() + 0.5) / o.height;
    obj.first_word = words.size();
    append_words(words, "a " + obj.size_word + " " + obj.colour + " " + obj.shape + " " + where);
    obj.last_word = words.size();
    objects.push_back(std::move(obj));
  }
  words.back() += '.';
  return words;
}

// ------------------------------------------------------------ speech

// A synthetic annotator's habits, fixed per (seed, annotator_id) so that the
// same annotator speaks and moves alike in every image.
struct Annotator {
  std::int64_t id = 1;
  double pace = 1.0;   // multiplies word durations
  double hand = 1.0;   // multiplies pointer jitter
  double loops = 1.0;  // multiplies scribbling speed
};

Annotator annotator(const SynthOptions& o, std::int64_t id) {
  Rng rng(o.seed, static_cast<std::uint64_t>(id), Stream::annotator);
  Annotator a;
  a.id = id;
  a.pace = rng.uniform(0.88, 1.12);
  a.hand = rng.uniform(0.7, 1.3);
  a.loops = rng.uniform(0.8, 1.25);
  return a;
}

struct Span {
  double start = 0.0;
  double end = 0.0;
};

struct Speech {
  std::vector<Span> words;
  std::vector<TimedUtterance> utterances;
};

// Rounds to `decimals` places. Dividing by the power of ten (rather than
// multiplying by 0.001) yields the double nearest the decimal, which prints
// as the short decimal: 1.662, not 1.6620000000000001.
double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

std::size_t letters(const std::string& word) {
  return static_cast<std::size_t>(
      std::count_if(word.begin(), word.end(), [](char c) { return is_ascii_alnum(c); }));
}

// Timing model: a word lasts 0.17 s + 40 ms per letter (about 2.5 words per
// second with the pauses), jittered by 15%; utterances of 1-3 words are
// separated by short gaps and punctuation adds a breath. Utterances never
// straddle an object's words, so an object's span is exact in timed_caption.
Speech speak(const std::vector<std::string>& words, const std::vector<SynthObject>& objects,
             const Annotator& who, Rng& rng) {
  std::vector<bool> boundary(words.size() + 1, false);
  for (const auto& obj : objects) boundary[obj.first_word] = boundary[obj.last_word] = true;

  Speech speech;
  double t = rng.uniform(0.3, 0.9);  // the recording starts before the voice does
  std::size_t i = 0;
  while (i < words.size()) {
    const double u = rng.uniform();
    const std::size_t want = u < 0.5 ? 1 : (u < 0.85 ? 2 : 3);
    TimedUtterance utt;
    utt.start_time = round_to(t, 3);
    const std::size_t first = i;
    while (true) {
      const double duration =
          (0.17 + 0.04 * static_cast<double>(letters(words[i]))) * who.pace * rng.uniform(0.85, 1.15);
      speech.words.push_back({t, t + duration});
      t += duration;
      const char last = words[i].back();
      ++i;
      if (i == words.size() || i - first == want || boundary[i] || last == ',' || last == '.') break;
    }
    utt.utterance = join(words, first, i);
    utt.end_time = round_to(t, 3);
    const char last = words[i - 1].back();
    t += rng.uniform(0.03, 0.12) * who.pace;
    if (last == ',') t += rng.uniform(0.2, 0.4);
    if (last == '.') t += rng.uniform(0.35, 0.6);
    speech.utterances.push_back(std::move(utt));
  }
  return speech;
}

// ------------------------------------------------------------ trace

// The pointer's intended path is a chain of pieces: holding still, moving
// between two places, or scribbling over an object. Hand jitter is added
// when sampling.
struct Piece {
  enum class Kind { hold, move, scribble } kind = Kind::hold;
  double t0 = 0.0, t1 = 0.0;
  Vec2 a, b;        // hold: a. move: a to b, filled in once both neighbours exist
  double bend = 0;  // move: sideways bow, as a fraction of the distance
  // scribble: a Lissajous loop inside the box, so the pointer circles the object
  Vec2 centre, radius;
  double omega = 0, phase = 0, ratio = 1, phase2 = 0;
};

Vec2 piece_at(const Piece& p, double t) {
  switch (p.kind) {
    case Piece::Kind::hold:
      return p.a;
    case Piece::Kind::move: {
      const double u = p.t1 > p.t0 ? std::clamp((t - p.t0) / (p.t1 - p.t0), 0.0, 1.0) : 1.0;
      const double e = u * u * u * (10 - 15 * u + 6 * u * u);  // minimum-jerk, as human reaching
      const Vec2 d = p.b - p.a;
      const Vec2 side{-d.y, d.x};
      return p.a + e * d + (p.bend * std::sin(kPi * u)) * side;
    }
    case Piece::Kind::scribble: {
      const double s = t - p.t0;
      const double amp = 0.8 + 0.2 * std::sin(0.37 * p.omega * s + p.phase2);
      return {p.centre.x + amp * p.radius.x * std::sin(p.omega * s + p.phase),
              p.centre.y + amp * p.radius.y * std::sin(p.ratio * p.omega * s + p.phase + p.phase2)};
    }
  }
  return p.a;
}

struct Excursion {
  Vec2 point;
  double out = 0, stay = 0, back = 0;
  double total() const { return out + stay + back; }
};

// Leaves the image on a random side, by `depth` beyond its edge.
Excursion plan_excursion(double depth, bool leaves_band, Rng& rng) {
  Excursion e;
  const double along = rng.uniform(0.15, 0.85);
  switch (rng.uniform_int(0, 3)) {
    case 0:
      e.point = {-depth, along};
      break;
    case 1:
      e.point = {1 + depth, along};
      break;
    case 2:
      e.point = {along, -depth};
      break;
    default:
      e.point = {along, 1 + depth};
      break;
  }
  e.out = rng.uniform(0.25, 0.4);
  e.stay = leaves_band ? rng.uniform(0.3, 0.7) : rng.uniform(0.05, 0.2);
  e.back = rng.uniform(0.25, 0.4);
  return e;
}

// A stretch of time in which the pointer is free to travel: before the first
// object, between two objects, and after the last word.
struct Window {
  double begin = 0.0, end = 0.0;
  std::optional<Excursion> excursion;
};

std::vector<TraceSegment> trace(const SynthOptions& o, const std::vector<SynthObject>& objects,
                                const std::vector<Span>& spans, const Annotator& who, Rng& rng) {
  // Free windows: before each object (from the end of the previous one) and a tail.
  std::vector<Window> windows;
  windows.push_back({rng.uniform(0.1, 0.3), spans.front().start, std::nullopt});
  for (std::size_t i = 1; i < spans.size(); ++i)
    windows.push_back({spans[i - 1].end, spans[i].start, std::nullopt});
  const double speech_end = spans.back().end;
  windows.push_back({spans.back().end + rng.uniform(0.1, 0.3), 0.0, std::nullopt});
  Window& tail = windows.back();
  tail.end = std::max(speech_end, tail.begin) + rng.uniform(0.3, 0.7);

  // The exit goes first because the tail always has room for it; the small
  // excursion takes whatever window is left.
  const auto place = [&](Excursion e) {
    std::vector<std::size_t> fits;
    for (std::size_t i = 0; i + 1 < windows.size(); ++i) {
      if (!windows[i].excursion && windows[i].end - windows[i].begin >= e.total() + 0.1) fits.push_back(i);
    }
    if (!tail.excursion) fits.push_back(windows.size() - 1);
    if (fits.empty()) return;
    Window& w = windows[fits[rng.index(fits.size())]];
    if (&w == &tail) tail.end = std::max(tail.end, tail.begin + e.total() + rng.uniform(0.2, 0.5));
    w.excursion = e;
  };
  if (rng.chance(o.band_exit_probability)) place(plan_excursion(o.band + rng.uniform(0.12, 0.3), true, rng));
  if (rng.chance(o.excursion_probability)) place(plan_excursion(o.band * rng.uniform(0.2, 0.5), false, rng));

  // Pieces, in time order; each piece ends where the next begins.
  std::vector<Piece> pieces;
  const auto hold = [&](Vec2 at, double t0) {
    Piece p;
    p.a = at;
    p.t0 = t0;
    pieces.push_back(p);
  };
  // Starts a move no earlier than the piece it leaves; returns the arrival
  // time. Excursions go straight: a bowed path along an edge could leave the
  // band that a small excursion must stay in.
  const auto move = [&](double leave, double duration, bool bowed) {
    Piece p;
    p.kind = Piece::Kind::move;
    p.t0 = std::max(leave, pieces.back().t0);
    p.t1 = p.t0 + duration;
    p.bend = bowed ? rng.uniform(-0.15, 0.15) : 0.0;
    pieces.back().t1 = p.t0;
    pieces.push_back(p);
    return p.t1;
  };
  hold({rng.uniform(0.25, 0.75), rng.uniform(0.25, 0.75)}, 0.0);
  for (std::size_t wi = 0; wi < windows.size(); ++wi) {
    const Window& w = windows[wi];
    double arrive = 0.0;
    if (w.excursion) {
      const Excursion& e = *w.excursion;
      const double slack = std::max(0.0, w.end - w.begin - e.total());
      const double there = move(w.begin + slack * rng.uniform(0.1, 0.9), e.out, false);
      hold(e.point, there);
      arrive = move(there + e.stay, e.back, false);
    } else {
      // The hand moves on while the connecting words are spoken; when they
      // are short it arrives a little late, as people do.
      const double travel = rng.uniform(0.3, 0.5);
      arrive = move(std::max(w.begin, w.end - travel), travel, true);
    }
    if (wi + 1 < windows.size()) {
      const SynthObject& obj = objects[wi];
      Piece p;
      p.kind = Piece::Kind::scribble;
      p.t0 = arrive;
      p.centre = {(obj.x0 + obj.x1) / 2, (obj.y0 + obj.y1) / 2};
      p.radius = {0.3 * (obj.x1 - obj.x0), 0.3 * (obj.y1 - obj.y0)};
      p.omega = 2 * kPi * who.loops / rng.uniform(0.9, 1.5);
      p.phase = rng.uniform(0, 2 * kPi);
      const bool figure_eight = rng.chance(0.3);
      p.ratio = figure_eight ? 2.0 : 1.0;
      p.phase2 = figure_eight ? rng.uniform(0, 2 * kPi) : kPi / 2 * (rng.chance(0.5) ? 1 : -1);
      pieces.push_back(p);
    } else {
      // At rest near the last object once the narration is over.
      tail.end = std::max(tail.end, arrive + 0.2);
      const SynthObject& last = objects.back();
      hold({std::clamp((last.x0 + last.x1) / 2 + rng.uniform(-0.15, 0.15), 0.05, 0.95),
            std::clamp((last.y0 + last.y1) / 2 + rng.uniform(-0.15, 0.15), 0.05, 0.95)},
           arrive);
    }
  }
  pieces.back().t1 = tail.end;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].kind != Piece::Kind::move) continue;
    pieces[i].a = piece_at(pieces[i - 1], pieces[i].t0);
    pieces[i].b = piece_at(pieces[i + 1], pieces[i].t1);
  }

  // Sampling. Jitter is an AR(1) drift plus tremor; LN stores x and y to
  // 1e-4 and t to 1e-3, and so do we.
  std::vector<TraceSegment> segments;
  bool inside = false;
  Vec2 drift;
  std::size_t piece = 0;
  const double t_begin = rng.uniform(0.0, 0.05);
  const double lo = -o.band, hi = 1 + o.band;
  for (std::size_t k = 0;; ++k) {
    const double t = t_begin + static_cast<double>(k) / o.sample_rate_hz;
    if (t > tail.end) break;
    while (piece + 1 < pieces.size() && t >= pieces[piece].t1) ++piece;
    const double sd = 0.0025 * who.hand;
    drift = Vec2{0.9 * drift.x + sd * rng.normal(), 0.9 * drift.y + sd * rng.normal()};
    const Vec2 tremor{0.0008 * who.hand * rng.normal(), 0.0008 * who.hand * rng.normal()};
    const Vec2 p = piece_at(pieces[piece], t) + drift + tremor;
    const TracePoint point{round_to(p.x, 4), round_to(p.y, 4), round_to(t, 3)};
    // Only the band is recorded; re-entering it starts a new segment.
    const bool in_band = point.x >= lo && point.x <= hi && point.y >= lo && point.y <= hi;
    if (in_band && !inside) segments.emplace_back();
    if (in_band) segments.back().push_back(point);
    inside = in_band;
  }
  return segments;
}

// ------------------------------------------------------------ image

// Smooth value noise: a coarse grid of random levels, blended with smoothstep.
class ValueNoise {
 public:
  ValueNoise(int cols, int rows, Rng& rng) : m_cols(cols), m_rows(rows) {
    m_levels.resize(static_cast<std::size_t>((cols + 1) * (rows + 1)));
    for (auto& v : m_levels) v = rng.uniform();
  }
  // u, v in [0, 1].
  double at(double u, double v) const {
    const double fx = u * m_cols, fy = v * m_rows;
    const int ix = std::min(static_cast<int>(fx), m_cols - 1),
              iy = std::min(static_cast<int>(fy), m_rows - 1);
    const auto smooth = [](double s) { return s * s * (3 - 2 * s); };
    const double sx = smooth(fx - ix), sy = smooth(fy - iy);
    const auto level = [&](int x, int y) { return m_levels[static_cast<std::size_t>(y * (m_cols + 1) + x)]; };
    const double top = level(ix, iy) + sx * (level(ix + 1, iy) - level(ix, iy));
    const double bottom = level(ix, iy + 1) + sx * (level(ix + 1, iy + 1) - level(ix, iy + 1));
    return top + sy * (bottom - top);
  }

 private:
  int m_cols, m_rows;
  std::vector<double> m_levels;
};

// A muted background (a gradient, soft stripes or blotches between two
// nearby tones) against which the saturated object colours stand out, then
// the objects, then sensor-like grain over everything.
cv::Mat render(const SynthOptions& o, const std::vector<Shape>& shapes, Rng& rng) {
  const int w = o.width, h = o.height;
  const bool light = rng.chance(0.65);
  const double base = light ? rng.uniform(165, 225) : rng.uniform(35, 85);
  std::array<double, 3> c1{}, c2{};
  const double contrast = rng.uniform(20, 50) * (light ? -1 : 1);
  for (std::size_t k = 0; k < 3; ++k) {
    c1[k] = base + rng.uniform(-20, 20);
    c2[k] = c1[k] + contrast + rng.uniform(-8, 8);
  }
  const int pattern = rng.uniform_int(0, 2);
  const double angle = rng.uniform(0, kPi);
  const double ca = std::cos(angle), sa = std::sin(angle);
  const double period = rng.uniform(10, 40), stripe_phase = rng.uniform(0, 2 * kPi);
  const ValueNoise blotches(rng.uniform_int(3, 7), rng.uniform_int(2, 5), rng);
  const double extent = std::abs(ca) * w + std::abs(sa) * h;
  const double offset = std::min(0.0, ca * w) + std::min(0.0, sa * h);

  cv::Mat image(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) {
      const double along = ca * x + sa * y;
      double mix = 0.0;
      if (pattern == 0) mix = (along - offset) / extent;
      if (pattern == 1) mix = 0.5 + 0.5 * std::sin(2 * kPi * along / period + stripe_phase);
      if (pattern == 2) mix = blotches.at(static_cast<double>(x) / w, static_cast<double>(y) / h);
      for (int k = 0; k < 3; ++k) {  // OpenCV stores BGR
        const auto ku = static_cast<std::size_t>(2 - k);
        row[x][k] = cv::saturate_cast<unsigned char>(c1[ku] + mix * (c2[ku] - c1[ku]));
      }
    }
  }

  // Fixed-point coordinates give anti-aliased edges sub-pixel placement.
  constexpr int kShift = 4;
  const auto fixed = [](Vec2 p) {
    return cv::Point(static_cast<int>(std::lround(p.x * (1 << kShift))),
                     static_cast<int>(std::lround(p.y * (1 << kShift))));
  };
  for (const Shape& s : shapes) {
    const cv::Scalar colour(s.rgb[2], s.rgb[1], s.rgb[0]);
    const int r_fixed = static_cast<int>(std::lround(s.radius * (1 << kShift)));
    if (s.kind == ShapeKind::circle) {
      cv::circle(image, fixed(s.centre), r_fixed, colour, cv::FILLED, cv::LINE_AA, kShift);
    } else if (s.kind == ShapeKind::ring) {
      // A stroke of width t is centred on the radius it is drawn at.
      const int t = static_cast<int>(std::lround(s.ring_width));
      const int mid = static_cast<int>(std::lround((s.radius - t / 2.0) * (1 << kShift)));
      cv::circle(image, fixed(s.centre), mid, colour, t, cv::LINE_AA, kShift);
    } else {
      std::vector<cv::Point> pts;
      for (const Vec2& p : s.polygon) pts.push_back(fixed(s.centre + p));
      cv::fillPoly(image, std::vector<std::vector<cv::Point>>{pts}, colour, cv::LINE_AA, kShift);
    }
  }

  const double grain = rng.uniform(3, 10);
  for (int y = 0; y < h; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) {
      const std::uint64_t bits = rng.bits();
      for (int k = 0; k < 3; ++k) {
        const double u = static_cast<double>((bits >> (16 * k)) & 0xffff) / 65535.0;
        row[x][k] = cv::saturate_cast<unsigned char>(row[x][k] + grain * (2 * u - 1));
      }
    }
  }
  return image;
}

// ------------------------------------------------------------ files

// Shortest form that reads back to the same value: 64, 0.01, 1000000, nan.
std::string format_number(double v) {
  if (std::abs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

nlohmann::ordered_json objects_record(const SynthSample& s) {
  nlohmann::ordered_json objects = nlohmann::ordered_json::array();
  for (const auto& obj : s.objects) {
    objects.push_back({
        {"label", obj.label()},
        {"shape", obj.shape},
        {"colour", obj.colour},
        {"size", obj.size_word},
        {"box", {obj.x0, obj.y0, obj.x1, obj.y1}},
        {"words", {obj.first_word, obj.last_word}},
    });
  }
  return {{"dataset_id", s.narrative.dataset_id},
          {"image_id", s.narrative.image_id},
          {"width", s.width},
          {"height", s.height},
          {"objects", std::move(objects)}};
}

}  // namespace

void validate_synth_options(const SynthOptions& o) {
  const auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  const auto in_range = [&](const char* name, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) {
      fail(std::string(name) + " must be between " + format_number(lo) + " and " + format_number(hi) +
           ", got " + format_number(v));
    }
  };
  if (o.count < 1) fail("count must be at least 1, got 0");
  in_range("width", o.width, kSynthMinSide, kSynthMaxSide);
  in_range("height", o.height, kSynthMinSide, kSynthMaxSide);
  in_range("min_objects", o.min_objects, 1, kSynthMaxObjects);
  in_range("max_objects", o.max_objects, o.min_objects, kSynthMaxObjects);
  if (o.dataset_id.empty()) fail("dataset_id must not be empty");
  in_range("jpeg_quality", o.jpeg_quality, 1, 100);
  in_range("annotators", o.annotators, 1, 1000000);
  in_range("band", o.band, 0.01, 0.5);
  in_range("sample_rate_hz", o.sample_rate_hz, 1, 1000);
  in_range("excursion_probability", o.excursion_probability, 0, 1);
  in_range("band_exit_probability", o.band_exit_probability, 0, 1);
}

std::string synth_image_id(std::size_t index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%06zu", index);
  return buffer;
}

SynthSample synthesize_sample(const SynthOptions& options, std::size_t index) {
  validate_synth_options(options);
  const auto key = static_cast<std::uint64_t>(index);
  Rng layout_rng(options.seed, key, Stream::layout);
  Rng speech_rng(options.seed, key, Stream::speech);
  Rng trace_rng(options.seed, key, Stream::trace);
  Rng image_rng(options.seed, key, Stream::image);

  SynthSample sample;
  sample.width = options.width;
  sample.height = options.height;
  const std::vector<Shape> shapes = lay_out(options, layout_rng);
  const std::vector<std::string> words = compose_caption(shapes, sample.objects, options, layout_rng);
  const Annotator who = annotator(options, layout_rng.uniform_int(1, options.annotators));
  const Speech speech = speak(words, sample.objects, who, speech_rng);

  std::vector<Span> spans;
  for (const auto& obj : sample.objects) {
    spans.push_back({speech.words[obj.first_word].start, speech.words[obj.last_word - 1].end});
  }
  // Boxes are stored to the precision of trace points.
  for (auto& obj : sample.objects) {
    for (double* v : {&obj.x0, &obj.y0, &obj.x1, &obj.y1}) *v = round_to(*v, 4);
  }

  Narrative& n = sample.narrative;
  n.dataset_id = options.dataset_id;
  n.image_id = synth_image_id(index);
  n.annotator_id = who.id;
  n.caption = join(words, 0, words.size());
  n.timed_caption = speech.utterances;
  n.traces = trace(options, sample.objects, spans, who, trace_rng);

  const cv::Mat image = render(options, shapes, image_rng);
  if (!cv::imencode(".jpg", image, sample.jpeg, {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality})) {
    throw std::runtime_error("cannot encode image " + n.image_id + " as JPEG");
  }
  return sample;
}

SynthReport write_synthetic_set(const SynthOptions& options, const std::filesystem::path& out_dir,
                                const SynthProgress& progress) {
  validate_synth_options(options);
  SynthReport report;
  report.narratives_file = out_dir / "narratives.jsonl";
  report.objects_file = out_dir / "objects.jsonl";
  report.images_dir = out_dir / "images";
  std::error_code ec;
  std::filesystem::create_directories(report.images_dir, ec);
  if (ec)
    throw std::runtime_error("cannot create folder " + report.images_dir.string() + ": " + ec.message());

  AtomicFile narratives(report.narratives_file);
  AtomicFile objects(report.objects_file);
  for (std::size_t i = 0; i < options.count; ++i) {
    const SynthSample sample = synthesize_sample(options, i);
    write_file_atomically(report.images_dir / (sample.narrative.image_id + ".jpg"),
                          {reinterpret_cast<const char*>(sample.jpeg.data()), sample.jpeg.size()});
    write_narrative(narratives.stream(), sample.narrative);
    objects.stream() << objects_record(sample).dump() << '\n';

    ++report.images;
    report.objects += sample.objects.size();
    report.words += split_words(sample.narrative.timed_caption).size();
    report.utterances += sample.narrative.timed_caption.size();
    report.segments += sample.narrative.traces.size();
    for (const auto& segment : sample.narrative.traces) report.points += segment.size();
    if (progress) progress(i + 1, options.count);
  }
  objects.commit();
  narratives.commit();
  return report;
}

}  // namespace loctex::core
