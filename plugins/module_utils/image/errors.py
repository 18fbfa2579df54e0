# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the image room: each names the reference, file or layer that is wrong."""

from ..runtime.errors import RuntimeFailure


class ImageError(RuntimeFailure):
    """An image could not be resolved, fetched, stored or used."""


class BadReference(ImageError):
    """An image reference that cannot be parsed or resolved."""


class LayerError(ImageError):
    """A layer that is malformed or hostile (an entry escaping its directory)."""


class ImageInUse(ImageError):
    """An image that containers still use."""
