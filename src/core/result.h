// Result<T>: a value of type T or the Status that explains why there is none. Shaped
// like std::expected<T, Status> (C++23), which g++ 12 lacks in C++20 mode.
//
//   Result<Chunk> r = reader.Read(ref);
//   if (!r.ok()) return r.status();
//   Use(*r);
//
// or, inside a function returning Status or Result<U>:
//   STRIX_ASSIGN_OR_RETURN(Chunk chunk, reader.Read(ref));
//
// Constructing a Result from an OK Status is a programmer error and aborts.
// Thread-safety: a value type, like Status.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "core/check.h"
#include "core/status.h"

namespace strix {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "Result<Status> is meaningless");

 public:
  using value_type = T;

  // An error. `status` must not be OK.
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    STRIX_CHECK_MSG(!std::get<Status>(v_).ok(), "Result constructed from an OK Status");
  }
  // A value.
  template <typename U = T,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : v_(std::in_place_index<1>, std::forward<U>(value)) {}  // NOLINT

  template <typename... Args>
  explicit Result(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<1>, std::forward<Args>(args)...) {}

  bool ok() const { return v_.index() == 1; }
  explicit operator bool() const { return ok(); }

  // OK when a value is held.
  Status status() const& { return ok() ? Status() : std::get<0>(v_); }
  Status status() && { return ok() ? Status() : std::move(std::get<0>(v_)); }

  T& value() & {
    CheckOk();
    return std::get<1>(v_);
  }
  const T& value() const& {
    CheckOk();
    return std::get<1>(v_);
  }
  T&& value() && {
    CheckOk();
    return std::move(std::get<1>(v_));
  }
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<1>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void CheckOk() const {
    if (__builtin_expect(!ok(), 0)) {
      ::strix::internal::CheckFailed(__FILE__, __LINE__, "Result::value() on an error",
                                     std::get<0>(v_).ToString().c_str());
    }
  }
  std::variant<Status, T> v_;
};

}  // namespace strix

#define STRIX_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

// Evaluates rexpr (a Result<T>); on error returns its Status from the enclosing
// function, otherwise assigns (or declares) lhs with the value.
#define STRIX_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRIX_ASSIGN_OR_RETURN_IMPL(STRIX_STATUS_CONCAT(strix_result_, __LINE__), lhs, rexpr)
