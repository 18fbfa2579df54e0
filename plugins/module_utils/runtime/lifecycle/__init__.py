# -*- coding: utf-8 -*-
# Copyright: opencontainer.runtime contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One module per lifecycle verb (runtime.md "Operations").

Nothing is imported here on purpose: `state` must not pay for importing
create's dependencies.
"""
