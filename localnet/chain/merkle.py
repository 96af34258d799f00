"""nearcore's Merkle trees (core/primitives/src/merkle.rs), which light-client proofs are checked against.

A parent is sha256 of its two children's 32 bytes (`combine_hash`).  Leaves
are paired from the left, level by level; an odd node at the end of a level
rises unchanged, so the left subtree of every node is a perfect tree.
`merklize` hashes its items first (borsh bytes -> sha256), as nearcore's
`merklize` does for outcome and chunk roots; the block Merkle tree takes
block hashes as they are (nearcore's `PartialMerkleTree`).

A path lists, from the leaf up, the sibling at each level where there is one
and on which side it sits; `compute_root_from_path` folds it back to the root.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .keys import b58

ZERO_HASH = bytes(32)
LEFT, RIGHT = "Left", "Right"


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def combine_hash(left: bytes, right: bytes) -> bytes:
    return sha256(left + right)


def root_and_path(leaves: list[bytes], index: int | None = None) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The root over `leaves` (already hashes) and the path of the leaf at `index` (empty when None)."""
    if not leaves:
        return ZERO_HASH, []
    level, path = list(leaves), []
    while len(level) > 1:
        if index is not None:
            sibling = index ^ 1
            if sibling < len(level):
                path.append((RIGHT if sibling > index else LEFT, level[sibling]))
            index //= 2
        level = [combine_hash(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0], path


def merklize(item_bytes: list[bytes]) -> tuple[bytes, list[list[tuple[str, bytes]]]]:
    """nearcore's `merklize`: the root over the hashes of the items' borsh bytes, and every item's path."""
    leaves = [sha256(item) for item in item_bytes]
    root = root_and_path(leaves)[0]
    return root, [root_and_path(leaves, i)[1] for i in range(len(leaves))]


def compute_root_from_path(path: list[tuple[str, bytes]], leaf: bytes) -> bytes:
    node = leaf
    for direction, sibling in path:
        node = combine_hash(sibling, node) if direction == LEFT else combine_hash(node, sibling)
    return node


def path_view(path: list[tuple[str, bytes]]) -> list[dict]:
    """A MerklePath as the RPC shows it."""
    return [{"hash": b58(sibling), "direction": direction} for direction, sibling in path]


@dataclass
class PartialMerkleTree:
    """The block Merkle tree as nearcore keeps it per block: only the roots of its perfect subtrees."""

    peaks: list[bytes] = field(default_factory=list)
    size: int = 0

    def root(self) -> bytes:
        if not self.peaks:
            return ZERO_HASH
        node = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            node = combine_hash(peak, node)
        return node

    def insert(self, leaf: bytes) -> None:
        node, size = leaf, self.size
        while size % 2 == 1:
            node = combine_hash(self.peaks.pop(), node)
            size //= 2
        self.peaks.append(node)
        self.size += 1
