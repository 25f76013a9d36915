"""bmm, part 1: binarising images (10 points)."""
import numpy as np

from autograder.harness import Mistake, expect_close, points, reference
from hidden_tests.bmm.carried import IMAGES  # (5000, 784) uint8, the shipped subset

ref = reference("bmm")


@points(4)
def test_binarize_uint8(student, rng):
    """binarize: uint8 MNIST images are divided by 255, then pixel > threshold → 1"""
    images = IMAGES[rng.choice(len(IMAGES), 300, replace=False)]
    for threshold in (None, float(rng.uniform(0.1, 0.9))):
        expected = (images / 255.0 > (0.5 if threshold is None else threshold)).astype(float)
        if threshold is None:
            got, what = student.binarize(images), "binarize(images) on 300 uint8 MNIST images"
        else:
            got = student.binarize(images, threshold=threshold)
            what = f"binarize(images, threshold={threshold:.4f}) on 300 uint8 MNIST images"
        expect_close(got, expected, what, mistakes=[
            Mistake((images > (0.5 if threshold is None else threshold)).astype(float),
                    "uint8 images were not divided by 255 first, so every pixel above 0 became 1 "
                    "(forgot to scale uint8 by 255)"),
            Mistake((images / 255.0 <= (0.5 if threshold is None else threshold)).astype(float),
                    "ones and zeros are swapped: a pixel is 1 where it is greater than the threshold"),
        ])


@points(4)
def test_binarize_float_threshold(student, rng):
    """binarize: float images are compared as given, and a pixel equal to the threshold is 0 (strict >)"""
    grid = np.round(np.arange(11) / 10, 1)  # 0.0, 0.1, ..., 1.0: includes every threshold below exactly
    images = rng.choice(grid, size=(60, 50))
    for threshold in (None, 0.3, 0.7):
        t = 0.5 if threshold is None else threshold
        expected = (images > t).astype(float)
        if threshold is None:
            got, what = student.binarize(images), "binarize(images) on float images in [0, 1]"
        else:
            got = student.binarize(images, threshold=threshold)
            what = f"binarize(images, threshold={threshold}) on float images in [0, 1]"
        expect_close(got, expected, what, mistakes=[
            Mistake((images >= t).astype(float),
                    "a pixel equal to the threshold became 1: the rule is pixel > threshold "
                    "(strictly greater), not >="),
            Mistake((images / 255.0 > t).astype(float),
                    "float images were divided by 255 too; only uint8 images (0–255) are scaled"),
        ])


@points(2)
def test_binarize_shapes(student, rng):
    """binarize: (n, 28, 28) images are flattened row by row to (n, 784); (n, D) input keeps D"""
    flat = IMAGES[rng.choice(len(IMAGES), 20, replace=False)]
    square = flat.reshape(-1, 28, 28)
    expected = (flat / 255.0 > 0.5).astype(float)
    expect_close(student.binarize(square), expected, "binarize(images) on uint8 images of shape (20, 28, 28)",
                 mistakes=[
                     Mistake((square.transpose(0, 2, 1).reshape(20, -1) / 255.0 > 0.5).astype(float),
                             "each image was flattened column by column; flatten it row by row "
                             "(images.reshape(n, -1))"),
                 ])
    small = rng.random((15, 64))  # e.g. scikit-learn's 8×8 digits scaled to [0, 1]
    expect_close(student.binarize(small), (small > 0.5).astype(float),
                 "binarize(X) on float images of shape (15, 64) (D = 64 must be kept)")
