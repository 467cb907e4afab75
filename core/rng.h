// rng.h — the project's one random number generator, identical on every platform and backend.
//
// std::normal_distribution differs between standard libraries, so initial weights, data order
// and synthetic data come from this small, fully specified generator instead: SplitMix64 for
// seeding streams, xoshiro256** for the stream, Box–Muller for Gaussians.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace bnlab {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  // `stream` separates independent uses of one seed (weights of layer 2, data order, ...).
  explicit Rng(uint64_t seed, uint64_t stream = 0) {
    uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (auto& w : s_) w = splitmix64(s);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Moves the stream on as `draws` calls of next() would, in O(log draws) rather than O(draws), so
  // any step of a run can be reached at once (BatchOrder::skip). xoshiro256**'s step is linear
  // over GF(2) on its 256 state bits: the state after k draws is M^k times the state, with M^k
  // applied by squaring (at most 128 squarings of a 256×256 bit matrix).
  void discard(__uint128_t draws) {
    using Bits = std::array<uint64_t, 4>;  // 256 state bits
    std::array<Bits, 256> m;               // (256 columns) column i: one step of unit vector e_i
    for (int i = 0; i < 256; ++i) {
      Rng unit = *this;
      unit.s_ = {};
      unit.s_[i / 64] = uint64_t{1} << (i % 64);
      unit.next();
      m[i] = unit.s_;
    }
    const auto apply = [](const std::array<Bits, 256>& a, const Bits& v) {  // a · v
      Bits r{};
      for (int i = 0; i < 256; ++i)
        if (v[i / 64] >> (i % 64) & 1)
          for (int w = 0; w < 4; ++w) r[w] ^= a[i][w];
      return r;
    };
    for (; draws != 0; draws >>= 1) {
      if (draws & 1) s_ = apply(m, s_);
      if (draws > 1) {
        std::array<Bits, 256> square;
        for (int i = 0; i < 256; ++i) square[i] = apply(m, m[i]);
        m = square;
      }
    }
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant here).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }
  // Standard normal by Box–Muller (both values used).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 6.283185307179586 * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }
  // Fisher–Yates shuffle.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Streams of one seed. Fixed numbers so that files written by one version reproduce in the next.
enum RngStream : uint64_t {
  kStreamDataOrder = 1,
  kStreamSynthetic = 2,
  kStreamSplit = 3,
  kStreamWeights = 100,  // + layer index: layer l of every network with the same shape gets the same W
};

}  // namespace bnlab
