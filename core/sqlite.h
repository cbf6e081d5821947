#pragma once
// Thin RAII wrappers around the SQLite C API: a connection, a prepared
// statement and a transaction guard. sqlite3.h stays out of this header so
// that code using the project store does not see the C API. Every failure
// throws std::runtime_error whose what() names the database file and carries
// sqlite3_errmsg, e.g. "/p/project.sqlite: INSERT INTO narratives ...: CHECK
// constraint failed: status IN (...)".

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace loctex::core::sqlite {

// One connection to one database file. Not copyable and not movable:
// statements and transactions keep a reference to it.
class Database {
 public:
  enum class OpenMode {
    existing,  // the file must exist
    create,    // created if missing
  };

  Database(std::filesystem::path path, OpenMode mode);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one statement that takes no parameters (a PRAGMA, a CREATE TABLE)
  // to completion and discards any rows. Values never go through here; bind
  // them with Statement.
  void execute(std::string_view sql);

  // Whether a transaction is open on this connection (SQLite has no nesting).
  bool in_transaction() const;
  std::int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;

  const std::filesystem::path& path() const { return m_path; }
  sqlite3* handle() const { return m_db; }

  // Throws std::runtime_error "PATH: CONTEXT: sqlite3_errmsg".
  [[noreturn]] void throw_error(std::string_view context) const;

 private:
  std::filesystem::path m_path;
  sqlite3* m_db = nullptr;
};

// Short-lived RAII wrapper around sqlite3_stmt: prepared from exactly one SQL
// statement, finalized on destruction. Bind values, step through rows, then
// reset() to run it again.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // SQLite uses 1-based indexing for bind, 0-based for column.
  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_double(int index, double value);
  Statement& bind_text(int index, std::string_view value);  // copied by SQLite
  Statement& bind_null(int index);

  // Advances to the next row: true if one is ready to read, false when the
  // statement has finished.
  bool step();
  // Steps to completion, then resets, for statements whose rows do not
  // matter (INSERT, UPDATE, DELETE).
  void run();
  // Makes the statement ready to run again and clears its bindings.
  void reset();

  bool column_is_null(int column) const;
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;  // "" for NULL

 private:
  [[noreturn]] void throw_error(std::string_view context) const;

  Database* m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

// Holds a transaction open for its lifetime and rolls it back on destruction
// unless commit() was called, so an exception leaves the database as it was.
// Not nestable: SQLite has one transaction per connection.
class Transaction {
 public:
  enum class Kind {
    immediate,  // takes the write lock at once, so a writer never fails half-way with SQLITE_BUSY
    deferred,   // a read snapshot; for consistent multi-query reads
  };

  // Inside another transaction of `db`, a savepoint: commit() keeps its
  // changes for the outer transaction to commit, destruction without commit()
  // undoes them alone. So a function that writes in one transaction can be
  // called inside a larger one.
  explicit Transaction(Database& db, Kind kind = Kind::immediate);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();

 private:
  Database& m_db;
  bool m_savepoint = false;
  bool m_done = false;
};

}  // namespace loctex::core::sqlite
