#include "microfer/classify/tensor_codec.hpp"

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

namespace microfer {

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the tensor encoding is read and written with memcpy: a little-endian host is assumed"
#endif

namespace {

enum : uint8_t { kFloat32 = 0, kInt64 = 1 };
constexpr uint32_t kMaxRank = 8, kMaxName = 1024;

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

/// Bounds-checked reading of the encoded bytes.
class Cursor {
 public:
  Cursor(const char* data, size_t size) : data_(data), size_(size) {}
  const char* take(size_t n) {
    if (n > size_ - pos_) throw std::runtime_error("tensor data truncated");
    const char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  size_t left() const { return size_ - pos_; }

 private:
  const char* data_;
  size_t size_, pos_ = 0;
};

/// Parameters and buffers by name: what an encoding holds and a decoding must fill.
std::map<std::string, torch::Tensor> namedTensors(MicroAttentionResNet& model) {
  std::map<std::string, torch::Tensor> all;
  for (const auto& p : model->named_parameters()) all[p.key()] = p.value();
  for (const auto& b : model->named_buffers()) all[b.key()] = b.value();
  return all;
}

}  // namespace

std::string encodeTensors(MicroAttentionResNet& model) {
  const auto all = namedTensors(model);
  std::string out;
  put<uint32_t>(out, static_cast<uint32_t>(all.size()));
  for (const auto& [name, value] : all) {
    const bool isLong = value.scalar_type() == torch::kLong;
    torch::Tensor t = value.detach().to(torch::kCPU).contiguous();
    if (!isLong) t = t.to(torch::kFloat);
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    put<uint8_t>(out, isLong ? kInt64 : kFloat32);
    put<uint32_t>(out, static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) put<int64_t>(out, d);
    out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  return out;
}

void decodeTensorsInto(MicroAttentionResNet& model, const char* data, size_t size) {
  auto missing = namedTensors(model);
  Cursor in(data, size);
  const uint32_t count = in.get<uint32_t>();
  if (count != missing.size())
    throw std::runtime_error("holds " + std::to_string(count) + " tensors, the network has " +
                             std::to_string(missing.size()));
  torch::NoGradGuard noGrad;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t nameLength = in.get<uint32_t>();
    if (nameLength > kMaxName)
      throw std::runtime_error("tensor " + std::to_string(i) + ": implausible name length");
    const std::string name(in.take(nameLength), nameLength);
    const auto it = missing.find(name);
    if (it == missing.end())
      throw std::runtime_error("tensor '" + name + "' is not in the network (or stored twice)");
    torch::Tensor& dst = it->second;
    const uint8_t type = in.get<uint8_t>();
    const auto expected = dst.scalar_type() == torch::kLong ? kInt64 : kFloat32;
    if (type != expected)
      throw std::runtime_error("tensor '" + name + "' has another element type than the network's");
    const uint32_t rank = in.get<uint32_t>();
    if (rank > kMaxRank) throw std::runtime_error("tensor '" + name + "': implausible rank");
    std::vector<int64_t> dims(rank);
    for (auto& d : dims) d = in.get<int64_t>();
    if (dst.sizes() != torch::IntArrayRef(dims))
      throw std::runtime_error("tensor '" + name + "' has another shape than the network's");
    // The shape is the network's, so the size cannot overflow or ask for too much.
    const auto dtype = type == kInt64 ? torch::kLong : torch::kFloat;
    const size_t bytes = static_cast<size_t>(dst.numel()) * (type == kInt64 ? 8 : 4);
    torch::Tensor src = torch::empty(dims, torch::TensorOptions().dtype(dtype));
    std::memcpy(src.data_ptr(), in.take(bytes), bytes);
    if (type == kFloat32 && !torch::isfinite(src).all().item<bool>())
      throw std::runtime_error("tensor '" + name + "' holds a value that is not finite");
    dst.copy_(src);
    missing.erase(it);
  }
  if (in.left() != 0) throw std::runtime_error("trailing bytes after the tensors");
}

}  // namespace microfer
