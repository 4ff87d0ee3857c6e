package io.github.stn4j.nn;

import java.util.ArrayList;
import java.util.List;

/** Modules applied one after the other. */
public final class Sequential implements Module {
    private final List<Module> modules;

    public Sequential(Module... modules) {
        this.modules = List.of(modules);
    }

    public List<Module> modules() {
        return modules;
    }

    @Override
    public Var forward(Var x) {
        for (Module m : modules) x = m.forward(x);
        return x;
    }

    @Override
    public List<Var> parameters() {
        List<Var> out = new ArrayList<>();
        for (Module m : modules) out.addAll(m.parameters());
        return List.copyOf(out);
    }
}
