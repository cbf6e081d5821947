#include "ui/review_commands.h"

#include <QCoreApplication>
#include <QString>

#include <utility>

namespace loctex::ui {

StatusCommand::StatusCommand(core::ProjectStore& store, std::int64_t narrative_id,
                             core::NarrativeStatus status, std::string comment, std::function<void()> changed)
    : m_store(store),
      m_id(narrative_id),
      m_new_status(status),
      m_new_comment(std::move(comment)),
      m_changed(std::move(changed)) {
  const auto entry = m_store.narrative_entry(m_id);
  m_old_status = entry.status;
  m_old_comment = entry.review_comment;
  setText(QCoreApplication::translate("StatusCommand", "Mark narrative %1 %2")
              .arg(m_id)
              .arg(QString::fromUtf8(core::to_string(status).data(),
                                     static_cast<qsizetype>(core::to_string(status).size()))));
}

void StatusCommand::redo() {
  m_store.set_status(m_id, m_new_status, m_new_comment);
  if (m_changed) m_changed();
}

void StatusCommand::undo() {
  m_store.set_status(m_id, m_old_status, m_old_comment);
  if (m_changed) m_changed();
}

NarrativeEditCommand::NarrativeEditCommand(core::ProjectStore& store, std::int64_t narrative_id,
                                           core::Narrative before, core::Narrative after, const QString& text,
                                           std::function<void()> changed)
    : m_store(store),
      m_id(narrative_id),
      m_before(std::move(before)),
      m_after(std::move(after)),
      m_changed(std::move(changed)) {
  setText(text);
}

void NarrativeEditCommand::redo() {
  m_store.update_narrative(m_id, m_after);
  if (m_changed) m_changed();
}

void NarrativeEditCommand::undo() {
  m_store.update_narrative(m_id, m_before);
  if (m_changed) m_changed();
}

}  // namespace loctex::ui
