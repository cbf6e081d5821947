#include "core/sqlite.h"

#include <sqlite3.h>

#include <cctype>
#include <limits>
#include <stdexcept>
#include <utility>

namespace loctex::core::sqlite {
namespace {

// Error messages quote the statement; a one-line prefix is enough to find it.
std::string short_sql(std::string_view sql) {
  constexpr std::size_t kMax = 80;
  std::string out;
  bool space = false;
  for (const char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMax) return out + "...";
  }
  return out;
}

int sql_length(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("SQL statement too long: " + short_sql(sql));
  }
  return static_cast<int>(sql.size());
}

bool only_blanks(const char* begin, const char* end) {
  for (const char* p = begin; p != end; ++p) {
    if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') return false;
  }
  return true;
}

}  // namespace

Database::Database(std::filesystem::path path, OpenMode mode) : m_path(std::move(path)) {
  int flags = SQLITE_OPEN_READWRITE;
  if (mode == OpenMode::create) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(m_path.c_str(), &m_db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 hands out a handle even on failure, to carry the message.
    const std::string message = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
    sqlite3_close_v2(m_db);
    m_db = nullptr;
    throw std::runtime_error(m_path.string() + ": cannot open database: " + message);
  }
  sqlite3_extended_result_codes(m_db, 1);
  // Another connection (the UI while a command-line import runs) may hold the
  // write lock for a moment; wait rather than fail at once.
  sqlite3_busy_timeout(m_db, 5000);
}

Database::~Database() {
  // close_v2 defers the close if a statement is still alive, rather than
  // leaking the connection.
  sqlite3_close_v2(m_db);
}

void Database::execute(std::string_view sql) {
  Statement statement(*this, sql);
  while (statement.step()) {
  }
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(m_db) == 0; }

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

std::int64_t Database::changes() const { return sqlite3_changes64(m_db); }

void Database::throw_error(std::string_view context) const {
  throw std::runtime_error(m_path.string() + ": " + std::string(context) + ": " + sqlite3_errmsg(m_db));
}

Statement::Statement(Database& db, std::string_view sql) : m_db(&db) {
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), sql_length(sql), &m_stmt, &tail);
  if (rc != SQLITE_OK) db.throw_error("cannot prepare '" + short_sql(sql) + "'");
  if (m_stmt == nullptr) {
    throw std::invalid_argument(db.path().string() + ": no SQL statement in '" + short_sql(sql) + "'");
  }
  // A second statement would be silently ignored by sqlite3_prepare_v2.
  if (!only_blanks(tail, sql.data() + sql.size())) {
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
    throw std::invalid_argument(db.path().string() + ": more than one SQL statement in '" + short_sql(sql) +
                                "'");
  }
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_stmt(std::exchange(other.m_stmt, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_db = other.m_db;
    m_stmt = std::exchange(other.m_stmt, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::bind_int64(int index, std::int64_t value) {
  if (sqlite3_bind_int64(m_stmt, index, value) != SQLITE_OK) {
    throw_error("cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  if (sqlite3_bind_double(m_stmt, index, value) != SQLITE_OK) {
    throw_error("cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  // bind_text64 takes the length, so embedded NULs survive; SQLITE_TRANSIENT
  // makes SQLite copy, so the caller's buffer may go away before step(). A
  // default-constructed string_view has a null data(), which SQLite would
  // bind as NULL rather than as ''.
  const char* text = value.data() != nullptr ? value.data() : "";
  if (sqlite3_bind_text64(m_stmt, index, text, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK) {
    throw_error("cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(m_stmt, index) != SQLITE_OK) {
    throw_error("cannot bind parameter " + std::to_string(index));
  }
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error("cannot run");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  // sqlite3_reset repeats the last step's error, which step() already threw.
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(m_stmt, column); }

double Statement::column_double(int column) const { return sqlite3_column_double(m_stmt, column); }

std::string Statement::column_text(int column) const {
  // The pointer first, then the size: sqlite3_column_bytes after
  // sqlite3_column_text gives the size of the UTF-8 text just returned.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column)));
}

void Statement::throw_error(std::string_view context) const {
  m_db->throw_error("'" + short_sql(sqlite3_sql(m_stmt)) + "': " + std::string(context));
}

Transaction::Transaction(Database& db, Kind kind) : m_db(db), m_savepoint(db.in_transaction()) {
  if (m_savepoint)
    m_db.execute("SAVEPOINT loctex_nested");  // RELEASE and ROLLBACK TO take the innermost of that name
  else
    m_db.execute(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
  if (m_done) return;
  // Some errors (SQLITE_FULL, SQLITE_IOERR) roll back on their own; a second
  // ROLLBACK would fail.
  if (!m_db.in_transaction()) return;
  try {
    if (m_savepoint) {
      m_db.execute("ROLLBACK TO loctex_nested");
      m_db.execute("RELEASE loctex_nested");
    } else {
      m_db.execute("ROLLBACK");
    }
  } catch (...) {
    // A destructor must not throw; SQLite rolls back on close anyway.
  }
}

void Transaction::commit() {
  m_db.execute(m_savepoint ? "RELEASE loctex_nested" : "COMMIT");
  m_done = true;
}

}  // namespace loctex::core::sqlite
