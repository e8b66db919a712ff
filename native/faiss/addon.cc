// N-API binding of FAISS (built against FAISS 1.7.3, where the id type is faiss::Index::idx_t).
//
// One JS class, Index, owns one faiss::Index. train, add, search, write and readIndex run on the
// libuv thread pool (Napi::AsyncWorker) and return promises, so the event loop does not wait for
// them. The constructor (index_factory) and setParameter are quick and run synchronously. Layout of every vector set: row-major n×dim float32, as FAISS stores it.
//
// Thread safety: the TypeScript wrapper (src/server/ann/faiss.ts) runs one operation per index at a
// time. This file still keeps the pieces that would crash the process if that rule were broken:
// getters read copies kept on the main thread, and dispose() during a running operation defers the
// delete until the operation finishes.

#include <napi.h>

#include <faiss/AutoTune.h>
#include <faiss/IVFlib.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/HNSW.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using idx_t = faiss::Index::idx_t;

struct AddonData {
  Napi::FunctionReference indexConstructor;
};

std::string KindOf(const faiss::Index* index) {
  if (dynamic_cast<const faiss::IndexFlat*>(index) != nullptr) return "flat";
  if (dynamic_cast<const faiss::IndexHNSW*>(index) != nullptr) return "hnsw";
  if (dynamic_cast<const faiss::IndexIVF*>(index) != nullptr) return "ivf";
  return "other";
}

std::string MetricOf(const faiss::Index* index) {
  if (index->metric_type == faiss::METRIC_INNER_PRODUCT) return "ip";
  if (index->metric_type == faiss::METRIC_L2) return "l2";
  return "other";
}

std::vector<float> CopyFloats(const Napi::Float32Array& array) {
  const float* data = array.Data();
  return std::vector<float>(data, data + array.ElementLength());
}

Napi::Float32Array RequireFloat32Array(const Napi::Value& value, const char* operation) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(value.Env(), std::string(operation) + ": expected a Float32Array of row-major n×dim vectors");
  }
  return value.As<Napi::Float32Array>();
}

class Index : public Napi::ObjectWrap<Index> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Index",
                       {
                           InstanceMethod<&Index::Train>("train"),
                           InstanceMethod<&Index::Add>("add"),
                           InstanceMethod<&Index::Search>("search"),
                           InstanceMethod<&Index::Write>("write"),
                           InstanceMethod<&Index::SetParameter>("setParameter"),
                           InstanceMethod<&Index::Dispose>("dispose"),
                           InstanceAccessor<&Index::GetNtotal>("ntotal"),
                           InstanceAccessor<&Index::GetDim>("dim"),
                           InstanceAccessor<&Index::GetIsTrained>("isTrained"),
                           InstanceAccessor<&Index::GetKind>("kind"),
                           InstanceAccessor<&Index::GetMetric>("metric"),
                           InstanceAccessor<&Index::GetNlist>("nlist"),
                           InstanceAccessor<&Index::GetDisposed>("disposed"),
                       });
  }

  // new Index(dim, description, metric) builds with index_factory; new Index(External) adopts an
  // index returned by readIndex.
  explicit Index(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Index>(info) {
    Napi::Env env = info.Env();
    if (info.Length() == 1 && info[0].IsExternal()) {
      index_.reset(info[0].As<Napi::External<faiss::Index>>().Data());
      SyncState();
      return;
    }
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsString()) {
      throw Napi::TypeError::New(env, "Index: expected (dim: number, description: string, metric: 'ip' | 'l2')");
    }
    const int64_t dim = info[0].As<Napi::Number>().Int64Value();
    const std::string description = info[1].As<Napi::String>().Utf8Value();
    const std::string metric = info[2].As<Napi::String>().Utf8Value();
    if (metric != "ip" && metric != "l2") {
      throw Napi::TypeError::New(env, "Index: metric must be 'ip' or 'l2', got '" + metric + "'");
    }
    const faiss::MetricType metricType = metric == "ip" ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2;
    try {
      index_.reset(faiss::index_factory(static_cast<int>(dim), description.c_str(), metricType));
    } catch (const std::exception& error) {
      throw Napi::Error::New(env, "Index: index_factory failed for description '" + description + "' with dim " +
                                      std::to_string(dim) + ": " + error.what());
    }
    SyncState();
  }

  faiss::Index* Get() const { return index_.get(); }

  // Copies the fields that getters return, on the main thread, after each finished operation,
  // so a getter never reads the index while a worker thread writes it.
  void SyncState() {
    dim_ = index_->d;
    ntotal_ = index_->ntotal;
    isTrained_ = index_->is_trained;
    kind_ = KindOf(index_.get());
    metric_ = MetricOf(index_.get());
    // try_extract_index_ivf also finds an IVF index wrapped by a transform or an id map.
    const faiss::IndexIVF* ivf = faiss::ivflib::try_extract_index_ivf(index_.get());
    nlist_ = ivf == nullptr ? 0 : static_cast<int64_t>(ivf->nlist);
  }

  void BeginOperation() { pending_ += 1; }

  void EndOperation() {
    pending_ -= 1;
    if (disposed_ && pending_ == 0) index_.reset();
  }

  void RequireLive(Napi::Env env, const char* operation) const {
    if (disposed_) throw Napi::Error::New(env, std::string(operation) + ": the index was disposed");
  }

 private:
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Search(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);

  Napi::Value SetParameter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireLive(env, "Index.setParameter");
    if (pending_ > 0) throw Napi::Error::New(env, "Index.setParameter: an operation is still running on this index");
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
      throw Napi::TypeError::New(env, "Index.setParameter: expected (name: string, value: number)");
    }
    const std::string name = info[0].As<Napi::String>().Utf8Value();
    const double value = info[1].As<Napi::Number>().DoubleValue();
    try {
      faiss::ParameterSpace().set_index_parameter(index_.get(), name, value);
    } catch (const std::exception& error) {
      throw Napi::Error::New(env, "Index.setParameter: could not set " + name + "=" + std::to_string(value) + ": " + error.what());
    }
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (disposed_) return info.Env().Undefined();
    disposed_ = true;
    if (pending_ == 0) index_.reset();
    return info.Env().Undefined();
  }

  Napi::Value GetNtotal(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(ntotal_)); }
  Napi::Value GetDim(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(dim_)); }
  Napi::Value GetIsTrained(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), isTrained_); }
  Napi::Value GetKind(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kind_); }
  Napi::Value GetMetric(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), metric_); }
  Napi::Value GetNlist(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(nlist_)); }
  Napi::Value GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

  std::unique_ptr<faiss::Index> index_;
  int pending_ = 0;
  bool disposed_ = false;
  int64_t dim_ = 0;
  int64_t ntotal_ = 0;
  bool isTrained_ = false;
  int64_t nlist_ = 0;
  std::string kind_;
  std::string metric_;
};

// Base of the workers that run one FAISS call on an existing index. It holds a reference to the JS
// object so the garbage collector cannot free the index while a worker thread uses it.
class IndexWorker : public Napi::AsyncWorker {
 public:
  IndexWorker(Napi::Env env, Index* owner, std::string context)
      : Napi::AsyncWorker(env, "aisle_faiss"),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_(owner),
        ownerRef_(Napi::Persistent(owner->Value())),
        context_(std::move(context)) {
    owner_->BeginOperation();
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  virtual void Run(faiss::Index* index) = 0;
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }

  void Execute() final {
    try {
      Run(owner_->Get());
    } catch (const faiss::FaissException& error) {
      SetError(context_ + ": FAISS raised: " + error.what());
    } catch (const std::exception& error) {
      SetError(context_ + ": " + error.what());
    } catch (...) {
      SetError(context_ + ": unknown C++ exception");
    }
  }

  void OnOK() final {
    Napi::Env env = Env();
    owner_->SyncState();
    owner_->EndOperation();
    deferred_.Resolve(Result(env));
  }

  void OnError(const Napi::Error& error) final {
    owner_->EndOperation();
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Index* owner_;
  Napi::ObjectReference ownerRef_;
  std::string context_;
};

class TrainWorker : public IndexWorker {
 public:
  TrainWorker(Napi::Env env, Index* owner, std::vector<float> vectors, idx_t n, const std::string& context)
      : IndexWorker(env, owner, context), vectors_(std::move(vectors)), n_(n) {}

 protected:
  void Run(faiss::Index* index) override { index->train(n_, vectors_.data()); }

 private:
  std::vector<float> vectors_;
  idx_t n_;
};

class AddWorker : public IndexWorker {
 public:
  AddWorker(Napi::Env env, Index* owner, std::vector<float> vectors, idx_t n, const std::string& context)
      : IndexWorker(env, owner, context), vectors_(std::move(vectors)), n_(n) {}

 protected:
  void Run(faiss::Index* index) override { index->add(n_, vectors_.data()); }

 private:
  std::vector<float> vectors_;
  idx_t n_;
};

// Sets hnsw.efSearch for one search and restores it after. FAISS 1.7.3's HNSW::search sizes its
// candidate queue from the index's own efSearch and ignores SearchParametersHNSW::efSearch (FAISS
// releases from 2024 on read it), so a per-call efSearch must be written to the index. This is
// safe only while no other operation uses the index, which Index::Search checks.
class EfSearchOverride {
 public:
  EfSearchOverride(faiss::Index* index, int efSearch) {
    hnsw_ = efSearch > 0 ? dynamic_cast<faiss::IndexHNSW*>(index) : nullptr;
    if (hnsw_ == nullptr) return;
    previous_ = hnsw_->hnsw.efSearch;
    hnsw_->hnsw.efSearch = efSearch;
  }
  ~EfSearchOverride() {
    if (hnsw_ != nullptr) hnsw_->hnsw.efSearch = previous_;
  }
  EfSearchOverride(const EfSearchOverride&) = delete;
  EfSearchOverride& operator=(const EfSearchOverride&) = delete;

 private:
  faiss::IndexHNSW* hnsw_ = nullptr;
  int previous_ = 0;
};

// Searches with per-call parameters: nprobe through SearchParametersIVF, which FAISS 1.7.3
// honours, and efSearch through both SearchParametersHNSW and EfSearchOverride.
class SearchWorker : public IndexWorker {
 public:
  SearchWorker(Napi::Env env, Index* owner, std::vector<float> queries, idx_t n, idx_t k, int efSearch,
               std::unique_ptr<faiss::SearchParameters> params, const std::string& context)
      : IndexWorker(env, owner, context),
        queries_(std::move(queries)),
        n_(n),
        k_(k),
        efSearch_(efSearch),
        params_(std::move(params)) {}

 protected:
  void Run(faiss::Index* index) override {
    distances_.resize(static_cast<size_t>(n_ * k_));
    labels_.resize(static_cast<size_t>(n_ * k_));
    EfSearchOverride efSearch(index, efSearch_);
    index->search(n_, queries_.data(), k_, distances_.data(), labels_.data(), params_.get());
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Float32Array distances = Napi::Float32Array::New(env, distances_.size());
    std::memcpy(distances.Data(), distances_.data(), distances_.size() * sizeof(float));

    // Labels are positions in add order; add() keeps ntotal within int32, so they fit. -1 marks
    // a padded slot and is passed through for the wrapper to strip.
    Napi::Int32Array labels = Napi::Int32Array::New(env, labels_.size());
    for (size_t i = 0; i < labels_.size(); i++) labels[i] = static_cast<int32_t>(labels_[i]);

    Napi::Object result = Napi::Object::New(env);
    result.Set("distances", distances);
    result.Set("labels", labels);
    return result;
  }

 private:
  std::vector<float> queries_;
  idx_t n_;
  idx_t k_;
  int efSearch_;
  std::unique_ptr<faiss::SearchParameters> params_;
  std::vector<float> distances_;
  std::vector<idx_t> labels_;
};

class WriteWorker : public IndexWorker {
 public:
  WriteWorker(Napi::Env env, Index* owner, std::string path, const std::string& context)
      : IndexWorker(env, owner, context), path_(std::move(path)) {}

 protected:
  void Run(faiss::Index* index) override { faiss::write_index(index, path_.c_str()); }

 private:
  std::string path_;
};

// Reads an index file off the event loop and resolves with a new Index that owns it.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "aisle_faiss"), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const std::string context = "readIndex('" + path_ + "')";
    try {
      index_.reset(faiss::read_index(path_.c_str()));
    } catch (const faiss::FaissException& error) {
      SetError(context + ": FAISS raised: " + error.what());
    } catch (const std::exception& error) {
      SetError(context + ": " + error.what());
    } catch (...) {
      SetError(context + ": unknown C++ exception");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    AddonData* data = env.GetInstanceData<AddonData>();
    Napi::Object object = data->indexConstructor.New({Napi::External<faiss::Index>::New(env, index_.release())});
    deferred_.Resolve(object);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  std::unique_ptr<faiss::Index> index_;
};

// Returns the number of dim-sized rows in a vector set, rejecting a partial row.
idx_t RowCount(Napi::Env env, const Napi::Float32Array& vectors, int64_t dim, const char* operation) {
  const auto length = static_cast<int64_t>(vectors.ElementLength());
  if (length % dim != 0) {
    throw Napi::RangeError::New(env, std::string(operation) + ": length " + std::to_string(length) +
                                         " is not a multiple of dim " + std::to_string(dim));
  }
  return static_cast<idx_t>(length / dim);
}

std::string VectorsContext(const char* operation, idx_t n, int64_t dim) {
  return std::string(operation) + "(n=" + std::to_string(n) + ", dim=" + std::to_string(dim) + ")";
}

Napi::Value Index::Train(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLive(env, "Index.train");
  Napi::Float32Array vectors = RequireFloat32Array(info[0], "Index.train");
  const idx_t n = RowCount(env, vectors, dim_, "Index.train");
  auto* worker = new TrainWorker(env, this, CopyFloats(vectors), n, VectorsContext("Index.train", n, dim_));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Index::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLive(env, "Index.add");
  Napi::Float32Array vectors = RequireFloat32Array(info[0], "Index.add");
  const idx_t n = RowCount(env, vectors, dim_, "Index.add");
  if (ntotal_ + n > std::numeric_limits<int32_t>::max()) {
    throw Napi::RangeError::New(env, "Index.add: ntotal would exceed 2147483647, the largest int32 label");
  }
  auto* worker = new AddWorker(env, this, CopyFloats(vectors), n, VectorsContext("Index.add", n, dim_));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// search(queries, k, efSearch, nprobe): efSearch and nprobe are 0 when not set.
Napi::Value Index::Search(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLive(env, "Index.search");
  Napi::Float32Array queries = RequireFloat32Array(info[0], "Index.search");
  if (!info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber()) {
    throw Napi::TypeError::New(env, "Index.search: expected (queries: Float32Array, k: number, efSearch: number, nprobe: number)");
  }
  const idx_t n = RowCount(env, queries, dim_, "Index.search");
  const idx_t k = info[1].As<Napi::Number>().Int64Value();
  const int efSearch = info[2].As<Napi::Number>().Int32Value();
  const int nprobe = info[3].As<Napi::Number>().Int32Value();

  std::unique_ptr<faiss::SearchParameters> params;
  if (efSearch > 0) {
    if (kind_ != "hnsw") throw Napi::Error::New(env, "Index.search: efSearch applies only to HNSW indexes, this index is " + kind_);
    if (pending_ > 0) throw Napi::Error::New(env, "Index.search: efSearch needs the index to itself, but another operation is running");
    auto hnswParams = std::make_unique<faiss::SearchParametersHNSW>();
    hnswParams->efSearch = efSearch;
    params = std::move(hnswParams);
  }
  if (nprobe > 0) {
    if (kind_ != "ivf") throw Napi::Error::New(env, "Index.search: nprobe applies only to IVF indexes, this index is " + kind_);
    auto ivfParams = std::make_unique<faiss::SearchParametersIVF>();
    ivfParams->nprobe = static_cast<size_t>(nprobe);
    params = std::move(ivfParams);
  }

  const std::string context = "Index.search(n=" + std::to_string(n) + ", k=" + std::to_string(k) + ")";
  auto* worker = new SearchWorker(env, this, CopyFloats(queries), n, k, efSearch, std::move(params), context);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Index::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireLive(env, "Index.write");
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "Index.write: expected (path: string)");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  auto* worker = new WriteWorker(env, this, path, "Index.write('" + path + "')");
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value ReadIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "readIndex: expected (path: string)");
  auto* worker = new ReadWorker(env, info[0].As<Napi::String>().Utf8Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function indexClass = Index::Define(env);
  auto* data = new AddonData();
  data->indexConstructor = Napi::Persistent(indexClass);
  env.SetInstanceData(data);

  exports.Set("Index", indexClass);
  exports.Set("readIndex", Napi::Function::New(env, ReadIndex, "readIndex"));
  exports.Set("faissVersion", Napi::String::New(env, std::to_string(FAISS_VERSION_MAJOR) + "." +
                                                         std::to_string(FAISS_VERSION_MINOR) + "." +
                                                         std::to_string(FAISS_VERSION_PATCH)));
  return exports;
}

}  // namespace

NODE_API_MODULE(aisle_faiss, Init)
