// The calls here encode names into 1 KiB stack buffers (and receive statx structures)
// tens of thousands of times a run; zeroing each first was wasted work: every buffer is
// written (by NameBytes.Encode, or by the kernel on success) before any byte is read.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
