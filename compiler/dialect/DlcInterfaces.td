#ifndef DLC_INTERFACES_TD
#define DLC_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Dlc_PatternKindInterface : OpInterface<"PatternKindInterface"> {
  let cppNamespace = "::dlc";
  let description = [{
    The op-pattern kind of an op (elementwise, broadcast, injective, reduction,
    out-elementwise-fusable, opaque): what operator fusion may group it with.
  }];
  let methods = [
    StaticInterfaceMethod<"Returns how this op may fuse with its neighbours.",
                          "::dlc::PatternKind", "getPatternKind">,
  ];
}

#endif // DLC_INTERFACES_TD
