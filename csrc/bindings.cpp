// pybind11 wrapper of the core (the only file that knows Python). Arrays pass zero-copy:
// they must already be C-contiguous with the exact dtype (aecodec.entropy converts); nothing is
// converted here and no argument may be None, so a wrong argument is a TypeError, never a NaN array
// or a null model.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "coder.hpp"
#include "errors.hpp"

namespace py = pybind11;
using namespace aec;

namespace {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

py::handle g_truncated, g_corrupt, g_table, g_input, g_resource;

/// A required object argument: None is rejected by pybind11 with a TypeError.
py::arg object_arg(const char* name) { return py::arg(name).none(false); }
/// An array argument taken as it is: exact dtype, C-contiguous, not None.
py::arg array_arg(const char* name) { return py::arg(name).noconvert().none(false); }

void same_size(size_t n, size_t m, const char* what) {
    if (n != m)
        throw InvalidInput(std::string(what) + " has " + std::to_string(m) + " elements, expected " + std::to_string(n));
}

py::bytes to_bytes(const std::vector<uint8_t>& v) {
    return py::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

std::pair<const uint8_t*, size_t> view(const py::bytes& b) {
    char* p = nullptr;
    Py_ssize_t n = 0;
    if (PyBytes_AsStringAndSize(b.ptr(), &p, &n) != 0) throw py::error_already_set();
    return {reinterpret_cast<const uint8_t*>(p), static_cast<size_t>(n)};
}

std::shared_ptr<Tables> make_tables(const carray<uint32_t>& cdfs, const carray<int32_t>& num_symbols,
                                    const carray<int32_t>& offsets, int precision) {
    if (num_symbols.ndim() != 1 || offsets.ndim() != 1 || cdfs.ndim() != 1)
        throw InvalidTable("cdfs, num_symbols and offsets must be 1-D");
    if (num_symbols.size() != offsets.size()) throw InvalidTable("num_symbols and offsets differ in length");
    return std::make_shared<Tables>(cdfs.data(), cdfs.size(), num_symbols.data(), offsets.data(),
                                    num_symbols.size(), precision);
}

py::bytes py_encode_gaussian(const GaussianModel& m, const carray<float>& y, const carray<float>& means,
                             const carray<float>& scales, size_t substreams, int threads) {
    const size_t n = means.size();
    same_size(n, y.size(), "y");
    same_size(n, scales.size(), "scales");
    std::vector<uint8_t> out;
    {
        py::gil_scoped_release nogil;
        out = encode_gaussian(m, y.data(), means.data(), scales.data(), n, substreams, threads);
    }
    return to_bytes(out);
}

py::tuple py_decode_gaussian(const GaussianModel& m, const py::bytes& data, const carray<float>& means,
                             const carray<float>& scales, int threads) {
    const size_t n = means.size();
    same_size(n, scales.size(), "scales");
    auto [p, len] = view(data);
    check_stream(p, len, n);  // a malformed header fails before the outputs are allocated
    carray<float> y_hat(static_cast<py::ssize_t>(n));
    carray<int32_t> symbols(static_cast<py::ssize_t>(n));
    float* yp = y_hat.mutable_data();
    int32_t* sp = symbols.mutable_data();
    {
        py::gil_scoped_release nogil;
        decode_gaussian(m, p, len, means.data(), scales.data(), n, yp, sp, threads);
    }
    return py::make_tuple(y_hat, symbols);
}

py::tuple py_pass_decode(GaussianPassDecoder& d, const carray<float>& means, const carray<float>& scales,
                         int threads) {
    const size_t n = means.size();
    same_size(n, scales.size(), "scales");
    carray<float> y_hat(static_cast<py::ssize_t>(n));
    carray<int32_t> symbols(static_cast<py::ssize_t>(n));
    float* yp = y_hat.mutable_data();
    int32_t* sp = symbols.mutable_data();
    {
        py::gil_scoped_release nogil;
        d.decode(means.data(), scales.data(), n, yp, sp, threads);
    }
    return py::make_tuple(y_hat, symbols);
}

double py_bits_gaussian(const GaussianModel& m, const carray<float>& y, const carray<float>& means,
                        const carray<float>& scales) {
    const size_t n = means.size();
    same_size(n, y.size(), "y");
    same_size(n, scales.size(), "scales");
    py::gil_scoped_release nogil;
    return bits_gaussian(m, y.data(), means.data(), scales.data(), n);
}

carray<int32_t> py_scale_indexes(const GaussianModel& m, const carray<float>& scales) {
    carray<int32_t> out(static_cast<py::ssize_t>(scales.size()));
    int32_t* op = out.mutable_data();
    py::gil_scoped_release nogil;
    scale_indexes(m, scales.data(), scales.size(), op);
    return out;
}

py::bytes py_encode_indexed(const Tables& tb, const carray<int32_t>& symbols, const carray<int32_t>& indexes,
                            size_t substreams, int threads) {
    const size_t n = indexes.size();
    same_size(n, symbols.size(), "symbols");
    std::vector<uint8_t> out;
    {
        py::gil_scoped_release nogil;
        out = encode_indexed(tb, symbols.data(), indexes.data(), n, substreams, threads);
    }
    return to_bytes(out);
}

carray<int32_t> py_decode_indexed(const Tables& tb, const py::bytes& data, const carray<int32_t>& indexes,
                                  int threads) {
    const size_t n = indexes.size();
    auto [p, len] = view(data);
    check_stream(p, len, n);
    carray<int32_t> symbols(static_cast<py::ssize_t>(n));
    int32_t* sp = symbols.mutable_data();
    {
        py::gil_scoped_release nogil;
        decode_indexed(tb, p, len, indexes.data(), n, sp, threads);
    }
    return symbols;
}

double py_bits_indexed(const Tables& tb, const carray<int32_t>& symbols, const carray<int32_t>& indexes) {
    same_size(indexes.size(), symbols.size(), "symbols");
    py::gil_scoped_release nogil;
    return bits_indexed(tb, symbols.data(), indexes.data(), indexes.size());
}

void register_errors(py::module_& m) {
    py::module_ errors = py::module_::import("aecodec.errors");
    g_truncated = py::object(errors.attr("TruncatedStreamError")).release();
    g_corrupt = py::object(errors.attr("CorruptStreamError")).release();
    g_table = py::object(errors.attr("InvalidTableError")).release();
    g_resource = py::object(errors.attr("ResourceError")).release();
    py::object input;
    if (py::hasattr(errors, "InvalidInputError")) {
        input = errors.attr("InvalidInputError");
    } else {  // defined here until aecodec.errors has it
        py::object type = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyType_Type));
        py::dict ns;
        ns["__module__"] = "aecodec._core";
        ns["__doc__"] = "Arguments handed to the entropy coder are unusable.";
        input = type("InvalidInputError", py::make_tuple(errors.attr("AecodecError"), py::handle(PyExc_ValueError)), ns);
    }
    m.attr("InvalidInputError") = input;
    g_input = input.release();

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const TruncatedStream& e) {
            PyErr_SetString(g_truncated.ptr(), e.what());
        } catch (const CorruptStream& e) {
            PyErr_SetString(g_corrupt.ptr(), e.what());
        } catch (const InvalidTable& e) {
            PyErr_SetString(g_table.ptr(), e.what());
        } catch (const InvalidInput& e) {
            PyErr_SetString(g_input.ptr(), e.what());
        } catch (const ResourceExhausted& e) {
            PyErr_SetString(g_resource.ptr(), e.what());
        }
    });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "rANS entropy coder of aecodec (quantized CDF tables, escape coding, substreams).";
    register_errors(m);

    py::class_<Tables, std::shared_ptr<Tables>>(m, "Tables")
        .def(py::init(&make_tables), array_arg("cdfs"), array_arg("num_symbols"), array_arg("offsets"),
             py::arg("precision"))
        .def_property_readonly("precision", &Tables::precision)
        .def("__len__", &Tables::size);

    py::class_<GaussianModel, std::shared_ptr<GaussianModel>>(m, "GaussianModel")
        .def(py::init([](std::shared_ptr<Tables> t, const carray<float>& grid) {
                 if (grid.ndim() != 1) throw InvalidTable("grid must be 1-D");
                 return std::make_shared<GaussianModel>(std::move(t), grid.data(), grid.size());
             }),
             object_arg("tables"), array_arg("grid"));

    py::class_<GaussianPassDecoder>(m, "GaussianPassDecoder")
        .def(py::init([](std::shared_ptr<GaussianModel> model, const py::bytes& data, size_t n) {
                 auto [p, len] = view(data);
                 return std::make_unique<GaussianPassDecoder>(std::move(model), p, len, n);
             }),
             object_arg("model"), object_arg("data"), py::arg("n"))
        .def_property_readonly("total", &GaussianPassDecoder::total)
        .def_property_readonly("decoded", &GaussianPassDecoder::decoded)
        .def("decode", &py_pass_decode, array_arg("means"), array_arg("scales"), py::arg("threads") = 1)
        .def("finish", &GaussianPassDecoder::finish);

    m.def("encode_gaussian", &py_encode_gaussian, object_arg("model"), array_arg("y"), array_arg("means"),
          array_arg("scales"), py::arg("substreams") = 1, py::arg("threads") = 1);
    m.def("decode_gaussian", &py_decode_gaussian, object_arg("model"), object_arg("data"), array_arg("means"),
          array_arg("scales"), py::arg("threads") = 1);
    m.def("bits_gaussian", &py_bits_gaussian, object_arg("model"), array_arg("y"), array_arg("means"),
          array_arg("scales"));
    m.def("scale_indexes", &py_scale_indexes, object_arg("model"), array_arg("scales"));
    m.def("encode_indexed", &py_encode_indexed, object_arg("tables"), array_arg("symbols"), array_arg("indexes"),
          py::arg("substreams") = 1, py::arg("threads") = 1);
    m.def("decode_indexed", &py_decode_indexed, object_arg("tables"), object_arg("data"), array_arg("indexes"),
          py::arg("threads") = 1);
    m.def("bits_indexed", &py_bits_indexed, object_arg("tables"), array_arg("symbols"), array_arg("indexes"));
    m.def(
        "stream_substreams",
        [](const py::bytes& data, size_t n) {
            auto [p, len] = view(data);
            return check_stream(p, len, n);
        },
        object_arg("data"), py::arg("n"),
        "Checks a stream's header and substream lengths for n values without decoding; returns K.");
    m.attr("MAX_TABLES") = kMaxTables;
    m.attr("MAX_CDF_ENTRIES") = kMaxCdfEntries;
}
