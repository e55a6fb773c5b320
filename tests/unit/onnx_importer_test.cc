// The ONNX importer on models built here with the ONNX protobuf API:
// external data (and its confinement to the model's folder), unsupported ops
// and unreadable files; dlc's dtype table against ONNX's enum.
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/ElementTypes.h"
#include "dlc/runtime.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "onnx/onnx_pb.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace {

std::string tempDir(const std::string &name) {
  const char *tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/" + name;
  mkdir(dir.c_str(), 0755);
  return dir;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// y = x + w, with w [4] stored according to `setWeight`.
onnx::ModelProto
addModel(const std::function<void(onnx::TensorProto &)> &setWeight) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto *graph = model.mutable_graph();
  graph->set_name("add");
  onnx::NodeProto *node = graph->add_node();
  node->set_op_type("Add");
  node->set_name("add_weights");
  node->add_input("x");
  node->add_input("w");
  node->add_output("y");
  for (const char *name : {"x", "y"}) {
    onnx::ValueInfoProto *info =
        name[0] == 'x' ? graph->add_input() : graph->add_output();
    info->set_name(name);
    auto *tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    tensor->mutable_shape()->add_dim()->set_dim_value(4);
  }
  onnx::TensorProto *weight = graph->add_initializer();
  weight->set_name("w");
  weight->set_data_type(onnx::TensorProto::FLOAT);
  weight->add_dims(4);
  setWeight(*weight);
  return model;
}

void setExternal(onnx::TensorProto &tensor, const std::string &location,
                 int64_t offset) {
  tensor.set_data_location(onnx::TensorProto::EXTERNAL);
  auto *entry = tensor.add_external_data();
  entry->set_key("location");
  entry->set_value(location);
  entry = tensor.add_external_data();
  entry->set_key("offset");
  entry->set_value(std::to_string(offset));
  entry = tensor.add_external_data();
  entry->set_key("length");
  entry->set_value("16");
}

struct Imported {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string error;
  Imported(const std::string &path) {
    module = dlc::importOnnxFile(path, context, {}, error);
  }
};

const float kWeights[4] = {1.5f, -2.0f, 0.25f, 8.0f};

TEST(OnnxImporter, ReadsExternalDataInsideTheModelFolder) {
  std::string dir = tempDir("external_ok");
  // 8 bytes of padding, then the weights: the offset must be honoured.
  writeBytes(dir + "/weights.bin",
             std::string(8, 'x') +
                 std::string(reinterpret_cast<const char *>(kWeights), 16));
  auto model =
      addModel([](onnx::TensorProto &t) { setExternal(t, "weights.bin", 8); });
  std::ofstream(dir + "/model.onnx", std::ios::binary)
      << model.SerializeAsString();
  Imported imported(dir + "/model.onnx");
  ASSERT_TRUE(imported.module) << imported.error;
  dlc::ConstantOp constant;
  imported.module->walk([&](dlc::ConstantOp op) { constant = op; });
  ASSERT_TRUE(constant);
  auto values = mlir::cast<mlir::DenseElementsAttr>(constant.getValue())
                    .getValues<float>();
  EXPECT_EQ(std::vector<float>(values.begin(), values.end()),
            std::vector<float>(kWeights, kWeights + 4));
}

TEST(OnnxImporter, RefusesExternalDataOutsideTheModelFolder) {
  std::string dir = tempDir("external_escape");
  writeBytes(tempDir("external_secret") + "/secret.bin",
             std::string(reinterpret_cast<const char *>(kWeights), 16));
  auto model = addModel([](onnx::TensorProto &t) {
    setExternal(t, "../external_secret/secret.bin", 0);
  });
  std::ofstream(dir + "/model.onnx", std::ios::binary)
      << model.SerializeAsString();
  Imported imported(dir + "/model.onnx");
  EXPECT_FALSE(imported.module);
  EXPECT_EQ(imported.error, "external data of tensor 'w' at "
                            "'../external_secret/secret.bin' lies outside the "
                            "model's folder");

  auto absolute =
      addModel([](onnx::TensorProto &t) { setExternal(t, "/etc/passwd", 0); });
  std::ofstream(dir + "/model.onnx", std::ios::binary)
      << absolute.SerializeAsString();
  Imported second(dir + "/model.onnx");
  EXPECT_FALSE(second.module);
  EXPECT_NE(second.error.find("absolute location"), std::string::npos);
}

TEST(OnnxImporter, RefusesShortExternalData) {
  std::string dir = tempDir("external_short");
  writeBytes(dir + "/weights.bin", std::string(10, '\0'));
  auto model =
      addModel([](onnx::TensorProto &t) { setExternal(t, "weights.bin", 0); });
  std::ofstream(dir + "/model.onnx", std::ios::binary)
      << model.SerializeAsString();
  Imported imported(dir + "/model.onnx");
  EXPECT_FALSE(imported.module);
  EXPECT_NE(imported.error.find("runs past the end of 'weights.bin'"),
            std::string::npos)
      << imported.error;
}

TEST(OnnxImporter, RefusesMissingAndCorruptFiles) {
  std::string dir = tempDir("corrupt");
  Imported missing(dir + "/nothing.onnx");
  EXPECT_FALSE(missing.module);
  EXPECT_NE(missing.error.find("cannot read"), std::string::npos);

  auto model = addModel([](onnx::TensorProto &t) {
    for (float v : kWeights)
      t.add_float_data(v);
  });
  std::string bytes = model.SerializeAsString();
  writeBytes(dir + "/truncated.onnx", bytes.substr(0, bytes.size() / 2));
  Imported truncated(dir + "/truncated.onnx");
  EXPECT_FALSE(truncated.module);
  EXPECT_NE(truncated.error.find("truncated or corrupt"), std::string::npos)
      << truncated.error;

  writeBytes(dir + "/model.onnx", bytes);
  Imported good(dir + "/model.onnx");
  EXPECT_TRUE(good.module) << good.error;
}

TEST(OnnxImporter, ListsEveryUnsupportedNode) {
  std::string dir = tempDir("unsupported");
  auto model = addModel([](onnx::TensorProto &t) {
    for (float v : kWeights)
      t.add_float_data(v);
  });
  for (const char *op : {"StringNormalizer", "TfIdfVectorizer"}) {
    onnx::NodeProto *node = model.mutable_graph()->add_node();
    node->set_op_type(op);
    node->set_name(std::string("my_") + op);
    node->add_input("y");
    node->add_output(std::string("out_") + op);
  }
  std::ofstream(dir + "/model.onnx", std::ios::binary)
      << model.SerializeAsString();
  Imported imported(dir + "/model.onnx");
  EXPECT_FALSE(imported.module);
  EXPECT_EQ(imported.error,
            "2 node(s) use ops dlc does not support:\n"
            "  node 'my_StringNormalizer': StringNormalizer, opset 13\n"
            "  node 'my_TfIdfVectorizer': TfIdfVectorizer, opset 13");
}

TEST(OnnxImporter, RefusesAnOpsetNewerThanItKnows) {
  std::string dir = tempDir("newer_opset");
  auto model = addModel([](onnx::TensorProto &t) {
    for (float v : kWeights)
      t.add_float_data(v);
  });
  model.mutable_opset_import(0)->set_version(29);
  writeBytes(dir + "/model.onnx", model.SerializeAsString());
  Imported newer(dir + "/model.onnx");
  EXPECT_FALSE(newer.module);
  EXPECT_EQ(newer.error, "the model imports opset 29 of the default ONNX "
                         "domain; dlc knows opsets up to 28");
  model.mutable_opset_import(0)->set_version(28);
  writeBytes(dir + "/model.onnx", model.SerializeAsString());
  Imported newest(dir + "/model.onnx");
  EXPECT_TRUE(newest.module) << newest.error;
}

TEST(OnnxImporter, LooksOpsUpByDomain) {
  std::string dir = tempDir("domains");
  auto model = addModel([](onnx::TensorProto &t) {
    for (float v : kWeights)
      t.add_float_data(v);
  });
  // An Add of another domain is not ONNX's Add.
  model.mutable_graph()->mutable_node(0)->set_domain("com.example");
  auto *example = model.add_opset_import();
  example->set_domain("com.example");
  example->set_version(1);
  writeBytes(dir + "/model.onnx", model.SerializeAsString());
  Imported foreign(dir + "/model.onnx");
  EXPECT_FALSE(foreign.module);
  EXPECT_EQ(foreign.error, "1 node(s) use ops dlc does not support:\n"
                           "  node 'add_weights': com.example.Add, opset 1");
  // A model of the training domain's ops only needs no default opset.
  model.mutable_graph()->mutable_node(0)->set_domain(
      "ai.onnx.preview.training");
  model.mutable_graph()->mutable_node(0)->set_op_type("Adam");
  model.clear_opset_import();
  auto *training = model.add_opset_import();
  training->set_domain("ai.onnx.preview.training");
  training->set_version(1);
  writeBytes(dir + "/model.onnx", model.SerializeAsString());
  Imported adam(dir + "/model.onnx");
  // ONNX's checker knows the training domain's Adam: it needs 3 inputs or
  // more, not 2.
  EXPECT_FALSE(adam.module);
  EXPECT_EQ(adam.error,
            "node 'add_weights' is not valid ONNX (ONNX checker): Node "
            "(add_weights) has input size 2 not in range [min=3, "
            "max=2147483647].");
  // A default-domain node still needs the default opset.
  model.mutable_graph()->mutable_node(0)->set_domain("");
  model.mutable_graph()->mutable_node(0)->set_op_type("Add");
  writeBytes(dir + "/model.onnx", model.SerializeAsString());
  Imported noOpset(dir + "/model.onnx");
  EXPECT_FALSE(noOpset.module);
  EXPECT_EQ(noOpset.error,
            "the model imports no opset of the default ONNX domain");
}

} // namespace

// dtypes.def keeps ONNX's TensorProto.DataType numbers: every row that this
// libonnx knows has ONNX's name (float32 and float64 are FLOAT and DOUBLE),
// and the compiler, the importer and the runtime read the same row.
TEST(ElementTypes, TheTableIsOnnxsNumbering) {
  mlir::MLIRContext context;
  context.loadDialect<dlc::DlcDialect>();
  int rows = 0, checkedAgainstOnnx = 0;
#define DLC_DTYPE(id, number, label, c_type)                                   \
  {                                                                            \
    ++rows;                                                                    \
    std::string upper = #id;                                                   \
    if (upper == "FLOAT32")                                                    \
      upper = "FLOAT";                                                         \
    if (upper == "FLOAT64")                                                    \
      upper = "DOUBLE";                                                        \
    if (onnx::TensorProto::DataType_IsValid(number)) {                         \
      ++checkedAgainstOnnx;                                                    \
      EXPECT_EQ(onnx::TensorProto::DataType_Name(                              \
                    static_cast<onnx::TensorProto::DataType>(number)),         \
                upper);                                                        \
    }                                                                          \
    mlir::Type type = dlc::elementTypeOfDtype(number, context);                \
    ASSERT_TRUE(type) << label;                                                \
    const dlc::DtypeInfo *row = dlc::lookupDtype(type);                        \
    ASSERT_TRUE(row) << label;                                                 \
    EXPECT_EQ(row->value, number);                                             \
    EXPECT_STREQ(row->name, dlc_dtype_name(static_cast<dlc_dtype>(number)));   \
    EXPECT_EQ(sizeof(c_type), dlc_dtype_size(static_cast<dlc_dtype>(number))); \
  }
#include "dlc/dtypes.def"
#undef DLC_DTYPE
  EXPECT_EQ(rows, 23);
  EXPECT_GE(checkedAgainstOnnx, 13); // FLOAT .. BFLOAT16 in every libonnx
  EXPECT_FALSE(dlc::lookupDtype(8)); // STRING: no dlc type
  EXPECT_FALSE(dlc::elementTypeOfDtype(8, context));
  EXPECT_FALSE(dlc::elementTypeOfDtype(1000, context));
  EXPECT_FALSE(dlc::lookupDtype(mlir::IndexType::get(&context)));
  // A signed wide integer (from MLIR text) is the signless one.
  EXPECT_EQ(dlc::lookupDtype(
                mlir::IntegerType::get(&context, 32, mlir::IntegerType::Signed))
                ->value,
            DLC_INT32);
}
