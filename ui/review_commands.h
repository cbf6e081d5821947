#pragma once
// Review's undoable steps (Edit > Undo): accepting or rejecting a
// narrative, and editing its words.

#include <QString>
#include <QUndoCommand>

#include <cstdint>
#include <functional>
#include <string>

#include "core/narrative.h"
#include "core/project_store.h"

namespace loctex::ui {

class StatusCommand : public QUndoCommand {
 public:
  // Reads the narrative's current status and comment as the state undo
  // returns to; `changed` runs after each redo and undo (to refresh views).
  StatusCommand(core::ProjectStore& store, std::int64_t narrative_id, core::NarrativeStatus status,
                std::string comment, std::function<void()> changed);

  void redo() override;
  void undo() override;

 private:
  core::ProjectStore& m_store;
  std::int64_t m_id;
  core::NarrativeStatus m_old_status, m_new_status;
  std::string m_old_comment, m_new_comment;
  std::function<void()> m_changed;
};

// Replaces a narrative with an edited version of it (a word renamed or
// re-timed: core/word_edits.h); undo stores the version before.
class NarrativeEditCommand : public QUndoCommand {
 public:
  NarrativeEditCommand(core::ProjectStore& store, std::int64_t narrative_id, core::Narrative before,
                       core::Narrative after, const QString& text, std::function<void()> changed);

  void redo() override;
  void undo() override;

 private:
  core::ProjectStore& m_store;
  std::int64_t m_id;
  core::Narrative m_before, m_after;
  std::function<void()> m_changed;
};

}  // namespace loctex::ui
