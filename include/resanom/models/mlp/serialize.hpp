// resanom/models/mlp/serialize.hpp — how a network and its input standardization are written into
// resanom's versioned model container (models/serialization.hpp: magic, format version, kind,
// checksum, io_error naming the file on any mismatch).
//
// A network is stored as its scalar size, input width, layer specs, flat parameters and state, so
// the architecture travels with the weights and is checked against them on load.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "resanom/core/error.hpp"
#include "resanom/core/preprocess.hpp"
#include "resanom/models/serialization.hpp"
#include "resanom/models/mlp/network.hpp"

namespace resanom::nn {

template <class S>
void write_network(resanom::ModelWriter& w, const Network<S>& net) {
    w.put<std::uint32_t>(sizeof(S));
    w.put<std::int64_t>(net.in_width());
    w.put<std::uint64_t>(net.specs().size());
    for (const auto& s : net.specs()) {
        w.put<std::uint8_t>(static_cast<std::uint8_t>(s.kind));
        w.put<std::int64_t>(s.width);
        w.put<double>(s.param);
        w.put<std::uint8_t>(static_cast<std::uint8_t>(s.init));
    }
    w.put_vector(std::vector<S>(net.params().begin(), net.params().end()));
    w.put_vector(std::vector<S>(net.state().begin(), net.state().end()));
}

template <class S>
Network<S> read_network(resanom::ModelReader& r) {
    if (r.get<std::uint32_t>() != sizeof(S)) r.fail("network stored with another floating-point type");
    const auto in = r.get<std::int64_t>();
    const auto n_layers = r.get<std::uint64_t>();
    if (in <= 0 || n_layers == 0 || n_layers > 10000) r.fail("corrupt network description");
    std::vector<LayerSpec> specs;
    for (std::uint64_t i = 0; i < n_layers; ++i) {
        LayerSpec s;
        const auto kind = r.get<std::uint8_t>();
        if (kind > static_cast<std::uint8_t>(LayerKind::batch_norm)) r.fail("unknown layer kind " + std::to_string(kind));
        s.kind = static_cast<LayerKind>(kind);
        s.width = r.get<std::int64_t>();
        s.param = r.get<double>();
        const auto init = r.get<std::uint8_t>();
        if (init > static_cast<std::uint8_t>(Init::he_normal)) r.fail("unknown initialization " + std::to_string(init));
        s.init = static_cast<Init>(init);
        specs.push_back(s);
    }
    const auto pv = r.get_vector<S>();
    const auto sv = r.get_vector<S>();
    const Vec<S> params = Eigen::Map<const Vec<S>>(pv.data(), static_cast<Index>(pv.size()));
    const Vec<S> state = Eigen::Map<const Vec<S>>(sv.data(), static_cast<Index>(sv.size()));
    try {
        Network<S> net(specs);
        net.restore(in, params, state);
        return net;
    } catch (const input_error& e) {
        r.fail(std::string("invalid network: ") + e.what());
    }
}

inline void write_standardizer(resanom::ModelWriter& w, const Standardizer& s) {
    w.put_vector(std::vector<double>(s.mean().begin(), s.mean().end()));
    w.put_vector(std::vector<double>(s.scale().begin(), s.scale().end()));
}

inline Standardizer read_standardizer(resanom::ModelReader& r) {
    const auto mv = r.get_vector<double>();
    const auto sv = r.get_vector<double>();
    Vector mean = Eigen::Map<const Vector>(mv.data(), static_cast<Index>(mv.size()));
    Vector scale = Eigen::Map<const Vector>(sv.data(), static_cast<Index>(sv.size()));
    try {
        return Standardizer::from(std::move(mean), std::move(scale));
    } catch (const input_error& e) {
        r.fail(std::string("invalid standardization: ") + e.what());
    }
}

}  // namespace resanom::nn
