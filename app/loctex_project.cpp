// loctex-project: create a project, import and export Localized Narratives
// JSONL, list narratives, and render per-word heatmap overlays.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/overlay.h"
#include "core/progress.h"
#include "core/project_store.h"
#include "core/vocabulary.h"
#include "core/words.h"

namespace {

using loctex::core::ProjectStore;
using Json = nlohmann::ordered_json;

// Documented in --help and README.md.
enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kPartial = 3 };

constexpr const char* kFooter = R"(Examples:
  loctex-project init my-project
  loctex-project import my-project narratives.jsonl --images coco/val2017 --image-pattern '{image_id:012}.jpg'
  loctex-project list my-project --json
  loctex-project render my-project --out overlays --grid 32 --words
  loctex-project export my-project accepted.jsonl --accepted-only
  loctex-project vocab my-project vocab.txt --min-count 2

Exit codes:
  0  done
  1  failed: nothing was changed (a bad line without --lenient, an unreadable project, ...)
  2  bad command line
  3  done, but some inputs were skipped (listed on stderr and in --json)
)";

struct Options {
  std::string project;
  std::vector<std::string> inputs;
  std::string output;
  std::string images;
  std::string image_pattern = "{image_id}.jpg";
  bool reference_images = false;
  bool lenient = false;
  std::string status = "done";
  bool accepted_only = false;
  std::size_t min_count = 1;
  std::size_t max_size = 0;
  loctex::core::ProjectOverlayOptions overlays;
  bool json = false;
  bool quiet = false;
};

void print_json(const Json& summary) { std::cout << summary.dump(2) << "\n"; }

int run_init(const Options& o) {
  const auto store = ProjectStore::create(o.project);
  if (o.json)
    print_json({{"project", store.folder().string()}, {"schema_version", store.schema_version()}});
  else
    std::cout << "created project " << store.database_path().string() << "\n";
  return kOk;
}

int run_import(const Options& o) {
  auto store = ProjectStore::open(o.project);
  loctex::core::ImportOptions import;
  import.mode = o.lenient ? loctex::core::ReadMode::lenient : loctex::core::ReadMode::strict;
  if (!o.images.empty()) import.image_folder = o.images;
  import.image_pattern = o.image_pattern;
  import.image_placement = o.reference_images ? loctex::core::ImagePlacement::reference_in_place
                                              : loctex::core::ImagePlacement::copy_into_project;
  import.status = loctex::core::parse_narrative_status(o.status);
  // Every problem goes to stderr as found; the JSON summary keeps the first
  // kMaxJsonErrors, so memory stays flat on a badly broken file.
  constexpr std::size_t kMaxJsonErrors = 100;
  Json errors = Json::array();
  import.on_error = [&](const loctex::core::LnError& e) { std::cerr << e.what() << "\n";
  if (errors.size() < kMaxJsonErrors)
    errors.push_back({{"file", e.file()}, {"line", e.line()}, {"message", e.message()}});
};
loctex::core::ProgressLine progress("import: lines", 0, !o.quiet && !o.json);
import.progress = [&](std::size_t lines) { progress.update(lines);
};  // namespace
std::vector<std::filesystem::path> inputs(o.inputs.begin(), o.inputs.end());
const auto report = store.import_jsonl(inputs, import);
progress.finish();
if (o.json) {
  print_json({{"project", store.folder().string()},
              {"files", o.inputs},
              {"imported", report.imported},
              {"skipped", report.skipped},
              {"problems", report.problems},
              {"errors", errors}});
} else {
  std::cout << "imported " << report.imported << ", skipped " << report.skipped << ", problems "
            << report.problems << "\n";
}
return report.problems == 0 ? kOk : kPartial;
}

int run_export(const Options& o) {
  const auto store = ProjectStore::open(o.project);
  const auto count = store.export_jsonl(o.output, o.accepted_only ? loctex::core::ExportFilter::accepted_only
                                                                  : loctex::core::ExportFilter::all);
  if (o.json)
    print_json({{"output", o.output}, {"narratives", count}});
  else
    std::cout << "wrote " << count << " narratives to " << o.output << "\n";
  return kOk;
}

int run_list(const Options& o) {
  const auto store = ProjectStore::open(o.project);
  Json rows = Json::array();
  for (const auto& e : store.list_narratives()) {
    const std::string image = e.image_file ? e.image_file->string() : "";
    if (o.json) {
      rows.push_back({{"id", e.id},
                      {"dataset_id", e.dataset_id},
                      {"image_id", e.image_id},
                      {"annotator_id", e.annotator_id},
                      {"status", loctex::core::to_string(e.status)},
                      {"image_file", image}});
    } else {
      std::cout << e.id << "\t" << e.dataset_id << "\t" << e.image_id << "\t" << e.annotator_id << "\t"
                << loctex::core::to_string(e.status) << "\t" << (image.empty() ? "(no image)" : image)
                << "\n";
    }
  }
  if (o.json) print_json(rows);
  return kOk;
}

int run_vocab(const Options& o) {
  const auto store = ProjectStore::open(o.project);
  loctex::core::VocabularyBuilder builder;
  const auto entries = store.list_narratives();
  for (const auto& entry : entries)
    for (const auto& word : loctex::core::split_words(store.load_narrative(entry.id).timed_caption))
      builder.add(word.text);
  const auto vocabulary = builder.build(o.min_count, o.max_size);
  vocabulary.save(o.output);
  if (o.json)
    print_json({{"output", o.output}, {"narratives", entries.size()}, {"tokens", vocabulary.size()}});
  else
    std::cout << "wrote " << vocabulary.size() << " tokens (" << loctex::core::Vocabulary::kSpecialCount
              << " special) from " << entries.size() << " narratives to " << o.output << "\n";
  return kOk;
}

int run_render(Options& o) {
  const auto store = ProjectStore::open(o.project);
  loctex::core::ProgressLine progress("render: narratives", store.narrative_count(), !o.quiet && !o.json);
  o.overlays.progress = [&](std::size_t done, std::size_t) { progress.update(done); };
  const auto report = loctex::core::write_project_overlays(store, o.output, o.overlays);
  progress.finish();
  for (const auto& s : report.skipped) std::cerr << "skipped " << s << "\n";
  if (o.json)
    print_json({{"output", o.output},
                {"narratives", report.narratives},
                {"files", report.files},
                {"skipped", report.skipped}});
  else
    std::cout << "rendered " << report.narratives << " narratives (" << report.files << " PNGs) into "
              << o.output << "\n";
  return report.skipped.empty() ? kOk : kPartial;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"LocTex projects: a folder with project.sqlite and its images."};
  cli.footer(kFooter);
  cli.require_subcommand(1);
  cli.fallthrough();  // --json and -q work after the subcommand too
  Options o;
  auto* global_json = cli.add_flag("--json", o.json, "Print a JSON summary on stdout");
  global_json->configurable(false);
  cli.add_flag("-q,--quiet", o.quiet, "No progress on stderr");

  auto* init = cli.add_subcommand("init", "Create a new project in a folder");
  init->add_option("project", o.project, "Project folder")->required();

  auto* import = cli.add_subcommand(
      "import", "Import Localized Narratives JSONL (streamed; all files in one transaction)");
  import->add_option("project", o.project, "Project folder")->required()->check(CLI::ExistingDirectory);
  import->add_option("jsonl", o.inputs, "LN JSONL files")->required()->check(CLI::ExistingFile);
  import->add_option("--images", o.images, "Folder holding the images")->check(CLI::ExistingDirectory);
  import
      ->add_option("--image-pattern", o.image_pattern,
                   "Image file name under --images: {image_id}, {dataset_id}, {image_id:012}")
      ->capture_default_str();
  import->add_flag("--reference-images", o.reference_images,
                   "Reference images in place instead of copying them into the project");
  import->add_flag("--lenient", o.lenient,
                   "Report bad lines and go on (default: stop at the first, import nothing)");
  import->add_option("--status", o.status, "Status of imported narratives")
      ->check(CLI::IsMember({"draft", "done", "accepted", "rejected"}))
      ->capture_default_str();

  auto* exp =
      cli.add_subcommand("export", "Export the project's narratives as LN JSONL (written atomically)");
  exp->add_option("project", o.project, "Project folder")->required()->check(CLI::ExistingDirectory);
  exp->add_option("output", o.output, "Output .jsonl file")->required();
  exp->add_flag("--accepted-only", o.accepted_only, "Only narratives a reviewer accepted");

  auto* list = cli.add_subcommand(
      "list", "List the project's narratives: id, dataset, image, annotator, status, image file");
  list->add_option("project", o.project, "Project folder")->required()->check(CLI::ExistingDirectory);

  auto* vocab =
      cli.add_subcommand("vocab", "Write the word vocabulary of the project's narratives (token<TAB>count)");
  vocab->add_option("project", o.project, "Project folder")->required()->check(CLI::ExistingDirectory);
  vocab->add_option("output", o.output, "Output vocab.txt")->required();
  // NonNegativeNumber checks the text: CLI11 would turn "-1" into 2^64 - 1.
  vocab->add_option("--min-count", o.min_count, "Keep words seen at least this often")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  vocab->add_option("--max-size", o.max_size, "At most this many tokens, special ones included (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  auto* render =
      cli.add_subcommand("render", "Render per-word trace heatmaps over each narrative's image as PNGs");
  render->add_option("project", o.project, "Project folder")->required()->check(CLI::ExistingDirectory);
  render->add_option("--out", o.output, "Output folder: one sub-folder per narrative with sheet.png")
      ->required();
  render->add_option("--grid", o.overlays.heatmap.grid, "Heatmap cells per side (G)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  render->add_option("--sigma", o.overlays.heatmap.sigma, "Gaussian sigma in cells")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  render
      ->add_option("--time-margin", o.overlays.heatmap.time_margin,
                   "Seconds added on both sides of each word")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  render->add_flag("--words", o.overlays.per_word, "Also write one PNG per word");
  render->add_option("--tile", o.overlays.style.tile_side, "Longer side of each tile in pixels")
      ->check(CLI::Range(32, 4096))
      ->capture_default_str();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? kOk : kUsage;
  }

  try {
    if (*init) return run_init(o);
    if (*import) return run_import(o);
    if (*exp) return run_export(o);
    if (*list) return run_list(o);
    if (*vocab) return run_vocab(o);
    return run_render(o);
  } catch (const std::exception& e) {
    std::cerr << "loctex-project: " << e.what() << "\n";
    return kFailed;
  }
}
