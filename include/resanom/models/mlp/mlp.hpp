// resanom/models/mlp/mlp.hpp — everything of the dense-network family in one include: layers and
// Sequential networks, losses, Adam, the training loop, MlpClassifier, Autoencoder and
// AutoencoderEnsemble, and their serialization. docs/models/mlp.md and docs/models/autoencoder.md
// describe them.
#pragma once

#include "resanom/models/nn/adam.hpp"
#include "resanom/models/mlp/autoencoder.hpp"
#include "resanom/models/mlp/layers.hpp"
#include "resanom/models/mlp/loss.hpp"
#include "resanom/models/mlp/mlp_classifier.hpp"
#include "resanom/models/mlp/network.hpp"
#include "resanom/models/mlp/serialize.hpp"
#include "resanom/models/mlp/trainer.hpp"
