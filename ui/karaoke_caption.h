#pragma once
// Re-trace's caption: the words wrapped to the width, the one to point at
// now highlighted, those already said dimmed.

#include <QStringList>
#include <QWidget>

namespace loctex::ui {

class KaraokeCaption : public QWidget {
  Q_OBJECT

 public:
  explicit KaraokeCaption(QWidget* parent = nullptr);

  void setWords(const QStringList& words);
  const QStringList& words() const { return m_words; }
  // The highlighted word; -1 for none (before the start or after the end).
  void setCurrent(int index);
  int current() const { return m_current; }

  QSize sizeHint() const override { return {480, 72}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QStringList m_words;
  int m_current = -1;
};

}  // namespace loctex::ui
