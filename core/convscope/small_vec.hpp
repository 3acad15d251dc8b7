// A fixed-capacity vector kept inline: per-axis records of a layer (at most
// three spatial axes) without a heap allocation per layer, which is most of
// the cost of analysing a long network.
#pragma once

#include <array>
#include <cstddef>

namespace convscope {

template <class T, size_t N>
class SmallVec {
 public:
  SmallVec() = default;
  SmallVec(size_t n, const T& value) { resize(n, value); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  void resize(size_t n, const T& value = T{}) {
    if (n > N) n = N;  // callers never exceed N (at most 3 spatial axes)
    for (size_t i = size_; i < n; ++i) items_[i] = value;
    size_ = n;
  }
  void push_back(const T& v) {
    if (size_ < N) items_[size_++] = v;  // callers never exceed N
  }
  T& operator[](size_t i) { return items_[i]; }
  const T& operator[](size_t i) const { return items_[i]; }
  T& back() { return items_[size_ - 1]; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }

  bool operator==(const SmallVec& o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; ++i)
      if (!(items_[i] == o.items_[i])) return false;
    return true;
  }

 private:
  std::array<T, N> items_{};
  size_t size_ = 0;
};

}  // namespace convscope
