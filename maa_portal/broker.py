"""The demo's filesystem broker, with atomic writes.

Kombu's filesystem transport creates a message file and then writes it; a consumer polling in
between moves the empty file away and fails on it (the worker stops, the message is lost). Here
a message is written under a name no consumer looks at and renamed into place, which is atomic.
Only the demo uses this transport; production uses Redis.
"""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # Consumers take only names ending in ".<queue>.msg".
        partial = final + ".partial"
        with open(partial, "wb") as handle:
            handle.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)


class Transport(filesystem.Transport):
    Channel = Channel
