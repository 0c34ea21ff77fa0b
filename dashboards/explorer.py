"""The model explorer: pick a program, set sliders, Setup, then Step/Play/Reset and watch the panels.

Built from Mesa's SolaraViz parts: its ModelController (Reset, Play, Step, with play and render
intervals) and update counter. Unlike SolaraViz's own sidebar, moving a slider does not
change the model until **Setup** is pressed: Setup builds a new model from the program, seed and
sliders; Reset rebuilds the last setup from scratch (same seed, same run); Step and Play advance it.
So the panels always show the model the sliders were applied to. Each browser session has its own
model (``use_memo`` inside the component; nothing is built at import).
"""

from __future__ import annotations

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import force_update, update_counter

from abm.config import ConfigError
from dashboards.panels import LivePanels
from dashboards.setup import (
    CONFIG_FILE,
    MAIN,
    Setup,
    load_program,
    make_setup,
    program_choices,
    scenario_values,
    slider_specs,
)

DEFAULT_PROGRAM = "P4"
DEFAULT_SEED = 1


def initial(program: str) -> tuple[Setup, object]:
    """The first setup of a session: a built-in program name, or a config file path."""
    if program in program_choices():
        return make_setup(program, "", DEFAULT_SEED, None)
    return make_setup(CONFIG_FILE, program, DEFAULT_SEED, None)


@solara.component
def ParameterInputs(values: solara.Reactive[dict], applied: dict[str, float], names: list[str]):
    """Inputs generated from the parameter schema; a changed, not yet applied value is marked."""
    specs = slider_specs()
    for name in names:
        spec = specs[name]
        v = values.value[name]
        pending = v != applied.get(name)
        shown = f"{v:g}" if isinstance(v, float) else str(v)
        label = f"{spec.label} = {shown}" + ("  * not applied" if pending else "")

        def set_value(x, name=name):
            values.set({**values.value, name: x})

        with solara.Tooltip(spec.description):
            with solara.Div():
                if spec.integer and spec.use_slider:
                    solara.SliderInt(label, value=int(v), min=int(spec.lo), max=int(spec.hi), step=1, on_value=set_value)
                elif spec.integer:
                    solara.InputInt(label, value=int(v), on_value=lambda x, s=spec, f=set_value: f(min(max(int(x or 0), int(s.lo)), int(s.hi))))
                else:
                    solara.SliderFloat(label, value=float(v), min=spec.lo, max=spec.hi, step=spec.step, on_value=set_value)


@solara.component
def SetupCard(model: solara.Reactive, setup: solara.Reactive[Setup], program: str = DEFAULT_PROGRAM):
    """Program, seed and parameter sliders, and the Setup button that applies them."""
    builtin = program in program_choices()
    choice = solara.use_reactive(program if builtin else CONFIG_FILE)
    path = solara.use_reactive("" if builtin else program)
    seed = solara.use_reactive(setup.value.seed)
    values = solara.use_reactive(scenario_values(setup.value.scenario) | setup.value.overrides)
    error = solara.use_reactive("")
    show_all = solara.use_reactive(False)
    applied = scenario_values(setup.value.scenario) | setup.value.overrides

    def on_program(value: str) -> None:
        choice.set(value)
        error.set("")
        if value == CONFIG_FILE:
            return
        values.set(scenario_values(load_program(value)))  # built-in programs always validate

    def on_path(value: str) -> None:
        path.set(value)
        try:
            values.set(scenario_values(load_program(CONFIG_FILE, value)))
            error.set("")
        except ConfigError as e:
            error.set(str(e))

    def do_setup() -> None:
        try:
            new_setup, new_model = make_setup(choice.value, path.value, seed.value or 0, values.value)
        except ConfigError as e:
            error.set(str(e))
            return
        error.set("")
        setup.set(new_setup)
        model.set(new_model)
        force_update()

    pending = sum(values.value[k] != applied[k] for k in values.value) + (seed.value != setup.value.seed)
    specs = list(slider_specs())
    main = [n for n in specs if n in MAIN]
    rest = [n for n in specs if n not in MAIN]
    with solara.Card("Model parameters", classes=["abm-parameters"]):
        solara.Select("program", values=program_choices(), value=choice.value, on_value=on_program)
        if choice.value == CONFIG_FILE:
            solara.InputText("config file (YAML path, Enter to load)", value=path.value, on_value=on_path)
        solara.InputInt("seed", value=seed)
        with solara.Row():
            solara.Button("Setup", color="primary", on_click=do_setup, classes=["abm-setup"])
            solara.Button("Program values", text=True, on_click=lambda: on_program(choice.value) if choice.value != CONFIG_FILE else on_path(path.value))
        if error.value:
            solara.Error(error.value, classes=["abm-error"])
        elif pending:
            solara.Warning(f"{pending} change(s) not applied: press Setup", dense=True)
        ParameterInputs(values, applied, main)
        # The other parameters are built only when asked for: every widget on the page costs time
        # on each redraw (Solara walks the whole tree), so a step stays fast with them hidden.
        solara.Switch(label=f"all {len(specs)} parameters", value=show_all)
        if show_all.value:
            ParameterInputs(values, applied, rest)


@solara.component
def Explorer(inline: bool = False, program: str = DEFAULT_PROGRAM):
    """The model explorer page.

    Args:
        inline: controls above the panels instead of in the sidebar (the test renderer has no app layout).
        program: the program set up first: a built-in name or a config file path.
    """
    first = solara.use_memo(lambda: initial(program), [])  # per session
    setup = solara.use_reactive(first[0])
    model = solara.use_reactive(first[1])
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)  # Mesa's controller reads it; one thread keeps a step's redraw in order

    def release_old():
        m = model.value
        return m.release  # Mesa 3.3.1 keeps a class-level reference to every model until released

    solara.use_effect(release_old, [model.value])

    sc = setup.value.scenario
    tick = update_counter.get()  # the page's only subscription: one render pass per redraw
    with solara.Column() if inline else solara.Sidebar():
        with solara.Card("Run", classes=["abm-controls"]):
            # plain text, not Markdown: solara's Markdown loads KaTeX, which is not in the offline asset cache
            with solara.Column(gap="2px"):
                solara.Text(f"{sc.name}: {sc.description}", style={"font-weight": "bold", "font-size": "0.9em"})
                solara.Text(f"{model.value.state.n_orgs} partners, {model.value.state.n_clinicians} clinicians, seed {setup.value.seed}", style={"font-size": "0.9em"})
            # Reset rebuilds the applied setup (Mesa's ModelController syncs a plain dict on each render)
            ModelController(model, model_parameters=setup.value.model_parameters(), play_interval=play_interval, render_interval=render_interval,
                            use_threads=use_threads)
            solara.Text(f"Step: {model.value.steps}")  # as Mesa's ShowSteps, without a second subscription
            solara.SliderInt(f"Play interval: {play_interval.value} ms", value=play_interval, min=10, max=1000, step=10)
            solara.SliderInt(f"Redraw every {render_interval.value} step(s)", value=render_interval, min=1, max=52)
            m = model.value
            solara.FileDownload(
                lambda: m.datacollector.get_model_vars_dataframe().rename_axis("step").to_csv().encode(),
                filename=f"{sc.name}-seed{setup.value.seed}-outcomes.csv", label="Download outcomes (CSV)",
            )
            solara.FileDownload(
                lambda: m.datacollector.get_table_dataframe("milestones").to_csv(index=False).encode(),
                filename=f"{sc.name}-seed{setup.value.seed}-milestones.csv", label="Download milestones (CSV)",
            )
        SetupCard(model, setup, program)
    LivePanels(model.value, tick)
