#include "trainer/config.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace loctex::trainer {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& key, const std::string& message) {
  throw std::invalid_argument(key + ": " + message);
}

// One JSON object of the config; reads the keys it is asked for and, at the
// end, refuses any other.
class Section {
 public:
  Section(const Json& json, std::string path) : m_json(json), m_path(std::move(path)) {
    if (!m_json.is_object()) fail(name(), std::string("expected an object, got ") + m_json.type_name());
  }

  template <typename T>
  void read(const char* key, T& value) {
    const auto it = m_json.find(key);
    m_known.insert(key);
    if (it == m_json.end()) return;
    const std::string at = name(key);
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
      if (!it->is_string()) fail(at, std::string("expected a string, got ") + it->type_name());
      value = T(it->template get<std::string>());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) fail(at, std::string("expected true or false, got ") + it->type_name());
      value = it->template get<bool>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!it->is_number()) fail(at, std::string("expected a number, got ") + it->type_name());
      value = it->template get<double>();
    } else {
      static_assert(std::is_integral_v<T>);
      if (!it->is_number_integer())
        fail(at,
             std::string("expected an integer, got ") + (it->is_number() ? "a fraction" : it->type_name()));
      if (std::is_unsigned_v<T> && it->is_number_integer() && !it->is_number_unsigned() &&
          it->template get<std::int64_t>() < 0)
        fail(at, "must not be negative");
      const auto wide = it->template get<std::int64_t>();
      if constexpr (sizeof(T) < sizeof(std::int64_t)) {
        if (wide < std::numeric_limits<T>::min() || wide > std::numeric_limits<T>::max())
          fail(at, "out of range");
      }
      value = static_cast<T>(wide);
    }
  }

  // A nested object: `fn(Section&)` reads its keys.
  template <typename F>
  void section(const char* key, F&& fn) {
    m_known.insert(key);
    const auto it = m_json.find(key);
    if (it == m_json.end()) return;
    Section inner(*it, name(key));
    fn(inner);
    inner.finish();
  }

  void finish() const {
    for (const auto& [key, value] : m_json.items())
      if (!m_known.contains(key)) fail(name(key), "unknown key");
  }

 private:
  std::string name(const std::string& key = {}) const {
    if (key.empty()) return m_path.empty() ? "config" : m_path;
    return m_path.empty() ? key : m_path + "." + key;
  }

  const Json& m_json;
  std::string m_path;
  std::set<std::string, std::less<>> m_known;
};

void check(bool ok, const std::string& key, const std::string& message) {
  if (!ok) fail(key, message);
}

bool finite_positive(double v) { return std::isfinite(v) && v > 0; }

}  // namespace

Json to_json(const TrainConfig& c) {
  const auto& m = c.model;
  const auto& o = c.objectives;
  const auto& p = c.optim;
  const auto& a = c.data.augment;
  return Json{
      {"model",
       {{"backbone", m.backbone},
        {"width", m.width},
        {"image_size", m.image_size},
        {"embed_dim", m.embed_dim},
        {"text_layers", m.text_layers},
        {"text_width", m.text_width},
        {"text_heads", m.text_heads},
        {"max_words", m.max_words},
        {"fusion_layers", m.fusion_layers}}},
      {"objectives",
       {{"contrastive", o.contrastive},
        {"trace_attention", o.trace_attention},
        {"trace_loss", o.trace_loss},
        {"temperature", o.temperature},
        {"min_temperature", o.min_temperature},
        {"icmlm", o.icmlm},
        {"icmlm_head", o.icmlm_head},
        {"icmlm_candidates", o.icmlm_candidates},
        {"icmlm_layers", o.icmlm_layers},
        {"icmlm_hidden", o.icmlm_hidden},
        {"itm", o.itm},
        {"soft_mask", o.soft_mask},
        {"soft_mask_source", o.soft_mask_source},
        {"focal_itc", o.focal_itc},
        {"focal_gamma", o.focal_gamma},
        {"mm_augment", o.mm_augment},
        {"text_mask_rate", o.text_mask_rate},
        {"distort_grey", o.distort_grey},
        {"distort_blur", o.distort_blur}}},
      {"optim",
       {{"steps", p.steps},
        {"batch_size", p.batch_size},
        {"lr", p.lr},
        {"weight_decay", p.weight_decay},
        {"warmup_steps", p.warmup_steps},
        {"min_lr_ratio", p.min_lr_ratio},
        {"clip_norm", p.clip_norm}}},
      {"data",
       {{"shards", c.data.shards.string()},
        {"workers", c.data.workers},
        {"prefetch", c.data.prefetch},
        {"augment",
         {{"crop_min_scale", a.crop_min_scale},
          {"crop_min_ratio", a.crop_min_ratio},
          {"crop_max_ratio", a.crop_max_ratio},
          {"flip", a.flip},
          {"jitter", a.jitter}}}}},
      {"output", c.output.string()},
      {"seed", c.seed},
      {"device", c.device},
      {"threads", c.threads},
      {"checkpoint_every", c.checkpoint_every},
      {"log_every", c.log_every},
  };
}

TrainConfig from_json(const Json& json, TrainConfig c) {
  Section root(json, "");
  root.section("model", [&](Section& s) {
    auto& m = c.model;
    s.read("backbone", m.backbone);
    s.read("width", m.width);
    s.read("image_size", m.image_size);
    s.read("embed_dim", m.embed_dim);
    s.read("text_layers", m.text_layers);
    s.read("text_width", m.text_width);
    s.read("text_heads", m.text_heads);
    s.read("max_words", m.max_words);
    s.read("fusion_layers", m.fusion_layers);
  });
  root.section("objectives", [&](Section& s) {
    auto& o = c.objectives;
    s.read("contrastive", o.contrastive);
    s.read("trace_attention", o.trace_attention);
    s.read("trace_loss", o.trace_loss);
    s.read("temperature", o.temperature);
    s.read("min_temperature", o.min_temperature);
    s.read("icmlm", o.icmlm);
    s.read("icmlm_head", o.icmlm_head);
    s.read("icmlm_candidates", o.icmlm_candidates);
    s.read("icmlm_layers", o.icmlm_layers);
    s.read("icmlm_hidden", o.icmlm_hidden);
    s.read("itm", o.itm);
    s.read("soft_mask", o.soft_mask);
    s.read("soft_mask_source", o.soft_mask_source);
    s.read("focal_itc", o.focal_itc);
    s.read("focal_gamma", o.focal_gamma);
    s.read("mm_augment", o.mm_augment);
    s.read("text_mask_rate", o.text_mask_rate);
    s.read("distort_grey", o.distort_grey);
    s.read("distort_blur", o.distort_blur);
  });
  root.section("optim", [&](Section& s) {
    auto& p = c.optim;
    s.read("steps", p.steps);
    s.read("batch_size", p.batch_size);
    s.read("lr", p.lr);
    s.read("weight_decay", p.weight_decay);
    s.read("warmup_steps", p.warmup_steps);
    s.read("min_lr_ratio", p.min_lr_ratio);
    s.read("clip_norm", p.clip_norm);
  });
  root.section("data", [&](Section& s) {
    s.read("shards", c.data.shards);
    s.read("workers", c.data.workers);
    s.read("prefetch", c.data.prefetch);
    s.section("augment", [&](Section& g) {
      auto& a = c.data.augment;
      g.read("crop_min_scale", a.crop_min_scale);
      g.read("crop_min_ratio", a.crop_min_ratio);
      g.read("crop_max_ratio", a.crop_max_ratio);
      g.read("flip", a.flip);
      g.read("jitter", a.jitter);
    });
  });
  root.read("output", c.output);
  root.read("seed", c.seed);
  root.read("device", c.device);
  root.read("threads", c.threads);
  root.read("checkpoint_every", c.checkpoint_every);
  root.read("log_every", c.log_every);
  root.finish();
  return c;
}

TrainConfig load_config(const std::filesystem::path& path, TrainConfig base) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open config " + path.string());
  Json json;
  try {
    json = Json::parse(in);
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(path.string() + ": bad JSON: " + e.what());
  }
  try {
    return from_json(json, std::move(base));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path.string() + ": " + e.what());
  }
}

void validate(const TrainConfig& c) {
  const auto& m = c.model;
  check(m.backbone == "resnet18" || m.backbone == "resnet34" || m.backbone == "resnet50", "model.backbone",
        "expected resnet18, resnet34 or resnet50, got '" + m.backbone + "'");
  check(finite_positive(m.width) && m.width <= 4, "model.width", "must be in (0, 4]");
  check(m.image_size >= 32 && m.image_size <= 1024 && m.image_size % 32 == 0, "model.image_size",
        "must be a multiple of 32 in [32, 1024]");
  check(m.embed_dim >= 8 && m.embed_dim <= 4096, "model.embed_dim", "must be in [8, 4096]");
  check(m.text_layers >= 1 && m.text_layers <= 24, "model.text_layers", "must be in [1, 24]");
  check(m.text_heads >= 1 && m.text_width >= m.text_heads && m.text_width % m.text_heads == 0,
        "model.text_width", "must be a positive multiple of model.text_heads");
  check(m.max_words >= 1 && m.max_words <= 512, "model.max_words", "must be in [1, 512]");

  check(m.fusion_layers >= 1 && m.fusion_layers <= 12, "model.fusion_layers", "must be in [1, 12]");

  const auto& o = c.objectives;
  const std::pair<const char*, double> weights[] = {{"objectives.contrastive", o.contrastive},
                                                    {"objectives.trace_attention", o.trace_attention},
                                                    {"objectives.icmlm", o.icmlm},
                                                    {"objectives.itm", o.itm},
                                                    {"objectives.soft_mask", o.soft_mask},
                                                    {"objectives.focal_itc", o.focal_itc}};
  bool any = false;
  for (const auto& [key, weight] : weights) {
    check(std::isfinite(weight) && weight >= 0, key, "must be >= 0");
    any = any || weight > 0;
  }
  check(any, "objectives", "every objective is switched off");
  check(o.icmlm_head == "tfm" || o.icmlm_head == "att-fc", "objectives.icmlm_head",
        "expected tfm or att-fc, got '" + o.icmlm_head + "'");
  check(o.icmlm_candidates >= 1, "objectives.icmlm_candidates", "must be at least 1");
  check(o.icmlm_layers >= 1 && o.icmlm_layers <= 12, "objectives.icmlm_layers", "must be in [1, 12]");
  check(o.icmlm_hidden >= 1, "objectives.icmlm_hidden", "must be at least 1");
  check(o.soft_mask == 0 || o.itm > 0, "objectives.soft_mask",
        "needs objectives.itm > 0 (the soft-masked pairs train the matching head)");
  check(o.soft_mask_source == "gradcam" || o.soft_mask_source == "trace", "objectives.soft_mask_source",
        "expected gradcam or trace, got '" + o.soft_mask_source + "'");
  check(std::isfinite(o.focal_gamma) && o.focal_gamma >= 0, "objectives.focal_gamma", "must be >= 0");
  check(o.text_mask_rate >= 0 && o.text_mask_rate < 1, "objectives.text_mask_rate", "must be in [0, 1)");
  check(o.distort_grey >= 0 && o.distort_grey <= 1, "objectives.distort_grey", "must be in [0, 1]");
  check(o.distort_blur >= 0 && o.distort_blur <= 1, "objectives.distort_blur", "must be in [0, 1]");
  check(o.trace_loss == "kl" || o.trace_loss == "l2" || o.trace_loss == "bce", "objectives.trace_loss",
        "expected kl, l2 or bce, got '" + o.trace_loss + "'");
  check(finite_positive(o.min_temperature), "objectives.min_temperature", "must be positive");
  check(std::isfinite(o.temperature) && o.temperature >= o.min_temperature, "objectives.temperature",
        "must be at least objectives.min_temperature");

  const auto& p = c.optim;
  check(p.steps >= 1, "optim.steps", "must be at least 1");
  check(p.batch_size >= 2, "optim.batch_size", "must be at least 2 (the contrastive loss needs negatives)");
  check(finite_positive(p.lr), "optim.lr", "must be positive");
  check(std::isfinite(p.weight_decay) && p.weight_decay >= 0, "optim.weight_decay", "must be >= 0");
  check(p.warmup_steps >= 0, "optim.warmup_steps", "must be >= 0");
  check(p.min_lr_ratio >= 0 && p.min_lr_ratio <= 1, "optim.min_lr_ratio", "must be in [0, 1]");
  check(std::isfinite(p.clip_norm) && p.clip_norm >= 0, "optim.clip_norm", "must be >= 0");

  const auto& a = c.data.augment;
  check(a.crop_min_scale > 0 && a.crop_min_scale <= 1, "data.augment.crop_min_scale", "must be in (0, 1]");
  check(finite_positive(a.crop_min_ratio) && a.crop_min_ratio <= a.crop_max_ratio,
        "data.augment.crop_min_ratio", "must be positive and at most data.augment.crop_max_ratio");
  check(a.flip >= 0 && a.flip <= 1, "data.augment.flip", "must be in [0, 1]");
  check(a.jitter >= 0 && a.jitter < 1, "data.augment.jitter", "must be in [0, 1)");
  check(c.data.workers >= 1 && c.data.workers <= 64, "data.workers", "must be in [1, 64]");
  check(c.data.prefetch >= 1 && c.data.prefetch <= 64, "data.prefetch", "must be in [1, 64]");
  check(!c.data.shards.empty(), "data.shards", "is required (a loctex-build-dataset output folder)");
  check(!c.output.empty(), "output", "is required");
  check(c.device == "cpu" || c.device == "cuda" || c.device.starts_with("cuda:"), "device",
        "expected cpu, cuda or cuda:N, got '" + c.device + "'");
  check(c.threads >= 0, "threads", "must be >= 0");
  check(c.checkpoint_every >= 1, "checkpoint_every", "must be at least 1");
  check(c.log_every >= 1, "log_every", "must be at least 1");
}

}  // namespace loctex::trainer
