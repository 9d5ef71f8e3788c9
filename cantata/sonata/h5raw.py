"""Reading the bytes of plain contiguous HDF5 datasets straight from the file.

A 1-D dataset stored contiguously, unfiltered, in the machine's byte order is one run of bytes
at a fixed offset of the file. Reading it block by block with ``os.preadv`` on the file's own
descriptor costs a system call per block, where each HDF5 read call costs several times that
in selection handling; a column checked block by block (each block while it is still in the CPU
cache) then reads as fast as one whole-dataset h5py read. Any other storage (chunked,
compressed, external, virtual, another byte order, a user block, a driver other than the
default) is read through HDF5 as usual: :func:`raw_extent` returns None for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import h5py
import numpy as np


@dataclass(frozen=True)
class RawExtent:
    """Where a dataset's bytes are: the HDF5 file's descriptor and the byte offset of row 0."""

    fd: int
    offset: int
    itemsize: int


def raw_extent(ds: h5py.Dataset, dtype: np.dtype, rows: int) -> RawExtent | None:
    """The raw byte run of rows ``0..rows`` of ``ds`` read as ``dtype``, or None when the
    dataset is not a plain contiguous array of exactly that dtype (then read it through HDF5)."""
    dtype = np.dtype(dtype)
    if (ds.chunks is not None or len(ds.shape or ()) != 1 or dtype.kind not in "iuf"
            or ds.dtype != dtype or not dtype.isnative or ds.is_virtual or ds.external):
        return None
    f = ds.file
    if f.driver != "sec2" or f.userblock_size != 0:
        return None
    dsid = ds.id
    offset = dsid.get_offset()
    if offset is None or dsid.get_storage_size() < rows * dtype.itemsize:
        return None  # storage not allocated (fill value only) or not one extent
    return RawExtent(f.id.get_vfd_handle(), int(offset), dtype.itemsize)


def read_raw(extent: RawExtent, start: int, block: np.ndarray) -> None:
    """Fill ``block`` (C-contiguous) with the rows from ``start`` on; OSError on a short file."""
    view = memoryview(block).cast("B")
    position = extent.offset + start * extent.itemsize
    done = 0
    while done < view.nbytes:
        got = os.preadv(extent.fd, [view[done:]], position + done)
        if got <= 0:
            raise OSError(f"file ends inside the dataset ({done} of {view.nbytes} bytes read)")
        done += got


def raw_blocks(
    extent: RawExtent, stop: int, rows: int, dtype: np.dtype, out: np.ndarray | None = None
) -> Iterator[np.ndarray]:
    """Rows ``0..stop``, ``rows`` at a time: consecutive slices of ``out`` (``stop`` rows,
    C-contiguous), or one reused buffer when ``out`` is None; each block yielded once filled."""
    buffer = np.empty(min(rows, stop), dtype=dtype) if out is None else out
    for start in range(0, stop, rows):
        k = min(rows, stop - start)
        block = buffer[:k] if out is None else out[start:start + k]
        read_raw(extent, start, block)
        yield block


def raw_points(extent: RawExtent, rows: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The values at the given rows, one small read each (for a few scattered rows: HDF5 would
    fill its 64 KiB sieve buffer for every one of them)."""
    out = np.empty(len(rows), dtype=dtype)
    view = memoryview(out).cast("B")
    size = extent.itemsize
    for i, row in enumerate(np.asarray(rows, dtype=np.int64).tolist()):
        if os.preadv(extent.fd, [view[i * size:(i + 1) * size]], extent.offset + row * size) != size:
            raise OSError(f"file ends inside the dataset (row {row})")
    return out
