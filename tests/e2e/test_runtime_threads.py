"""The runtime's thread-safety promise (docs/runtime-abi.md, Threads): one
library's <N>_run called from 8 application threads at once, each with inputs
of its own, while another thread keeps changing <N>_set_num_threads; every
output must be bit-identical to the one a serial run gives for that input."""
import ctypes
import os
import threading

import numpy as np
import onnx

import dlc_harness as h
import model_zoo


class DlcTensor(ctypes.Structure):  # runtime/include/dlc/runtime.h
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int)]


class DlcStatus(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


INPUT_SHAPE = (1, 3, 32, 32)
CLASSES = 10
FLOAT32 = 1


def make_run(lib):
    in_dims = (ctypes.c_int64 * 4)(*INPUT_SHAPE)
    out_dims = (ctypes.c_int64 * 2)(1, CLASSES)

    def run(x):
        y = np.zeros((1, CLASSES), np.float32)
        inputs = DlcTensor(x.ctypes.data, in_dims, 4, FLOAT32)
        outputs = DlcTensor(y.ctypes.data, out_dims, 2, FLOAT32)
        status = DlcStatus()
        code = lib.m_run(ctypes.byref(inputs), 1, ctypes.byref(outputs), 1,
                         ctypes.byref(status))
        assert code == 0, status.message.decode()
        return y

    return run


def test_concurrent_runs_match_serial_runs():
    work = h.new_work_dir()
    path = os.path.join(work, "cnn.onnx")
    onnx.save(model_zoo.small_cnn(channels=16, size=32, classes=CLASSES, softmax=False), path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="m")
    lib = ctypes.CDLL(library)
    lib.m_set_num_threads.argtypes = [ctypes.c_int32]
    run = make_run(lib)

    rng = np.random.RandomState(0)
    inputs = [rng.standard_normal(INPUT_SHAPE).astype(np.float32) for _ in range(8)]
    serial = [run(x) for x in inputs]
    # Different inputs give different outputs: a mixed-up result would show.
    assert all(not np.array_equal(serial[0], s) for s in serial[1:])

    failures, stop = [], threading.Event()

    def worker(index):
        try:
            for _ in range(40):
                got = run(inputs[index])
                if not np.array_equal(got.view(np.uint32), serial[index].view(np.uint32)):
                    failures.append((index, got, serial[index]))
                    return
        except AssertionError as error:  # a failed status
            failures.append((index, str(error), None))

    def toggler():
        counts = [1, 2, 3, 0, 8]
        i = 0
        while not stop.is_set():
            lib.m_set_num_threads(counts[i % len(counts)])
            i += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    toggle = threading.Thread(target=toggler)
    toggle.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    stop.set()
    toggle.join()
    assert not any(thread.is_alive() for thread in threads), "a run never returned"
    assert not failures, failures[0]
