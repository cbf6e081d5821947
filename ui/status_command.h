#pragma once
// Accepting or rejecting a narrative as an undoable step (Edit > Undo).

#include <QUndoCommand>

#include <cstdint>
#include <functional>
#include <string>

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

}  // namespace loctex::ui
