#pragma once
// A caption word by word (Re-trace's and tap-along's): the words wrapped to
// the width, the current one highlighted, those before it dimmed, tapped
// ones underlined, doubtful ones on amber.

#include <QList>
#include <QRect>
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
  // Words drawn underlined (tap-along's tapped words); index by word.
  void setUnderlined(const QList<bool>& underlined);
  // Words marked for checking (forced alignment's doubtful words), drawn on
  // an amber ground; index by word.
  void setFlagged(const QList<bool>& flagged);
  bool flagged(int index) const { return m_flagged.value(index); }
  // Where word `index` was last drawn, in widget pixels; empty if not drawn.
  QRect wordRect(int index) const { return m_rects.value(index); }

  QSize sizeHint() const override { return {480, 72}; }

 Q_SIGNALS:
  void wordClicked(int index);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  QStringList m_words;
  int m_current = -1;
  QList<bool> m_underlined;
  QList<bool> m_flagged;
  QList<QRect> m_rects;  // per word, from the last layout
  void layoutWords();
};

}  // namespace loctex::ui
