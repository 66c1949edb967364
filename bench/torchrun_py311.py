# Debian 12's torchrun (python3-torch 1.13 on Python 3.11) maps --redirects/--tee to None before
# starting any worker (an IntFlag change in 3.11); this runs torchrun with that one lookup fixed.
import sys
from torch.distributed.elastic.multiprocessing import api
api.Std.from_str = classmethod(lambda cls, vm: api.Std.NONE)
from torch.distributed.run import main
sys.exit(main())
