"""The model explorer: pick a program, set sliders, Setup, then Step/Play/Reset and watch the panels.

Built like Mesa's SolaraViz (Reset, Play, Step, play and render intervals, Mesa's update counter),
with its own run controls: Play steps in one thread per session under the model's lock (see
:func:`dashboards.panels.model_lock`), redraws at most every ``MIN_REDRAW_SECONDS``, stops at the
program's horizon, and stops when the page is closed or Setup/Reset replaces the model. Unlike SolaraViz's own sidebar, moving a slider does not
change the model until **Setup** is pressed: Setup builds a new model from the program, seed and
sliders; Reset rebuilds the last setup from scratch (same seed, same run); Step and Play advance it.
So the panels always show the model the sliders were applied to. Each browser session has its own
model (``use_memo`` inside the component; nothing is built at import).
"""

from __future__ import annotations

import threading
import time

import solara

from abm.compat import force_update, update_counter
from abm.config import ConfigError
from dashboards.memory import release_soon
from dashboards.panels import LivePanels, model_lock
from dashboards.setup import (
    CONFIG_FILE,
    MAIN,
    Setup,
    SliderSpec,
    load_program,
    make_setup,
    program_choices,
    scenario_values,
    slider_specs,
)

DEFAULT_PROGRAM = "P4"
DEFAULT_SEED = 1
MIN_REDRAW_SECONDS = 0.25  # Play redraws at most this often: faster redraws pile up ("Too many renders")
_threads_guard = threading.Lock()
_live_play_threads = 0


def live_play_threads() -> int:
    """How many Play loops are running in this server process (tests)."""
    return _live_play_threads


def _count(delta: int) -> None:
    global _live_play_threads
    with _threads_guard:
        _live_play_threads += delta


def page_connected() -> bool:
    """Whether a browser page is still connected to this session (False once its tab is closed)."""
    try:
        from solara.server.kernel_context import PageStatus, get_current_context

        ctx = get_current_context()
    except Exception:  # noqa: BLE001 - no server session (the test renderer): nothing to watch
        return True
    return not ctx.closed_event.is_set() and PageStatus.CONNECTED in ctx.page_status.values()


def warm_up(program: str = DEFAULT_PROGRAM) -> None:
    """Load what every session needs once, when the server starts (numba kernels from their cache,
    the chart templates): a throw-away model, stepped twice, its charts built, then released. So the
    first page opens as fast as the next, and the server's idle memory already includes it."""
    from dashboards.charts import organizations_spec, outcomes_spec
    from dashboards.panels import organization_table, outcome_history

    _, m = initial(program)
    m.step()
    m.step()
    outcomes_spec(outcome_history(m), m.datacollector.get_table_dataframe("milestones"), m.scenario.steps)
    organizations_spec(organization_table(m))
    m.release()


def initial(program: str) -> tuple[Setup, object]:
    """The first setup of a session: a built-in program name, or a config file path."""
    if program in program_choices():
        return make_setup(program, "", DEFAULT_SEED, None)
    return make_setup(CONFIG_FILE, program, DEFAULT_SEED, None)


def parse_seed(text: str) -> tuple[int | None, str]:
    """The seed typed in the box, or a message saying what is wrong with it."""
    t = str(text).strip()
    try:
        seed = int(t)
    except ValueError:
        return None, f"seed must be a whole number >= 0 (got {t!r})"
    if seed < 0:
        return None, f"seed must be >= 0 (got {seed})"
    return seed, ""


def parse_int(text: str, spec: SliderSpec) -> tuple[int | None, str]:
    """A typed integer parameter, or a message if it is not a whole number within its bounds."""
    t = str(text).strip()
    try:
        x = int(t)
    except ValueError:
        return None, f"a whole number from {int(spec.lo)} to {int(spec.hi)} (got {t!r})"
    if not spec.lo <= x <= spec.hi:
        return None, f"out of range: {int(spec.lo)} to {int(spec.hi)} (got {x})"
    return x, ""


def parse_float(text: str, spec: SliderSpec) -> tuple[float | None, str]:
    t = str(text).strip()
    try:
        x = float(t)
    except ValueError:
        return None, f"a number from {spec.lo:g} to {spec.hi:g} (got {t!r})"
    if not spec.lo <= x <= spec.hi:
        return None, f"out of range: {spec.lo:g} to {spec.hi:g} (got {x:g})"
    return x, ""


def differs(a, b) -> bool:
    return b is None or abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(b)))


@solara.component
def ParameterInputs(values: solara.Reactive[dict], applied: dict[str, float], names: list[str], texts: solara.Reactive[dict]):
    """Inputs generated from the parameter schema; a changed, not yet applied value is marked.

    A value a slider cannot show exactly (off its grid) and a wide integer range get a text box,
    checked as typed: a bad entry shows its message under the box and blocks Setup."""
    specs = slider_specs()
    for name in names:
        spec = specs[name]
        v = values.value[name]
        pending = differs(v, applied.get(name))
        shown = f"{v:g}" if isinstance(v, float) else str(v)
        label = f"{spec.label} = {shown}" + ("  * not applied" if pending else "")

        def set_value(x, name=name):
            values.set({**values.value, name: round(x, 12) if isinstance(x, float) else x})

        def set_text(t, name=name, spec=spec):
            parse = parse_int if spec.integer else parse_float
            x, msg = parse(t, spec)
            texts.set({**texts.value, name: t} if msg else {k: w for k, w in texts.value.items() if k != name})
            if not msg:
                set_value(x)

        with solara.Tooltip(spec.description):
            with solara.Div(style={"white-space": "normal"}):
                if name in texts.value or (spec.use_slider and not spec.on_grid(v)) or not spec.use_slider:
                    t = texts.value.get(name, shown)
                    _, msg = (parse_int if spec.integer else parse_float)(t, spec)
                    solara.InputText(label, value=t, on_value=set_text, error=msg or False, message=msg or None,
                                     classes=[f"abm-input-{name}"]).key(f"text-{name}")  # fmt: skip
                elif spec.integer:
                    solara.SliderInt(label, value=int(v), min=int(spec.lo), max=int(spec.hi), step=1, on_value=set_value).key(f"int-{name}")
                else:
                    solara.SliderFloat(label, value=float(v), min=spec.lo, max=spec.hi, step=spec.step, on_value=set_value).key(f"float-{name}")


@solara.component
def SetupCard(model: solara.Reactive, setup: solara.Reactive[Setup], program: str = DEFAULT_PROGRAM):
    """Program, seed and parameter sliders, and the Setup button that applies them."""
    builtin = program in program_choices()
    choice = solara.use_reactive(program if builtin else CONFIG_FILE)
    path = solara.use_reactive("" if builtin else program)
    seed_text = solara.use_reactive(str(setup.value.seed))
    values = solara.use_reactive(scenario_values(setup.value.scenario) | setup.value.overrides)
    texts = solara.use_reactive({})  # parameter boxes holding an entry that does not validate
    error = solara.use_reactive("")
    show_all = solara.use_reactive(False)
    applied = scenario_values(setup.value.scenario) | setup.value.overrides
    seed, seed_error = parse_seed(seed_text.value)

    def on_program(value: str) -> None:
        choice.set(value)
        error.set("")
        texts.set({})
        if value == CONFIG_FILE:
            return
        values.set(scenario_values(load_program(value)))  # built-in programs always validate

    def on_path(value: str) -> None:
        path.set(value)
        try:
            values.set(scenario_values(load_program(CONFIG_FILE, value)))
            texts.set({})
            error.set("")
        except ConfigError as e:
            error.set(str(e))

    def do_setup() -> None:
        s, msg = parse_seed(seed_text.value)
        if msg or texts.value:
            error.set("not set up: " + (msg or f"fix {', '.join(texts.value)}"))
            return
        try:
            new_setup, new_model = make_setup(choice.value, path.value, s, values.value)
        except ConfigError as e:
            error.set(str(e))
            return
        error.set("")
        setup.set(new_setup)
        model.set(new_model)
        force_update()

    source = (choice.value, path.value.strip() if choice.value == CONFIG_FILE else "")
    program_pending = source != setup.value.source
    pending = sum(differs(values.value[k], applied[k]) for k in values.value) + (seed != setup.value.seed) + program_pending + len(texts.value)
    specs = list(slider_specs())
    main = [n for n in specs if n in MAIN]
    rest = [n for n in specs if n not in MAIN]
    # long slider labels wrap instead of being cut off
    # and sit above the slider, so a long label never squeezes its track
    solara.Style(".abm-parameters .v-label { white-space: normal; overflow: visible; height: auto; line-height: 1.2; }"
                 ".abm-parameters .v-input__slider .v-input__slot { flex-direction: column; align-items: stretch; }"
                 ".abm-parameters .v-input__slider .v-label { margin: 0 0 -6px 0; max-width: 100%; }")
    with solara.Card("Model parameters", classes=["abm-parameters"]):
        solara.Select("program" + ("  * not applied" if program_pending else ""), values=program_choices(), value=choice.value, on_value=on_program)
        if choice.value == CONFIG_FILE:
            solara.InputText("config file (YAML path, Enter to load)", value=path.value, on_value=on_path).key("config-path")
        solara.InputText("seed", value=seed_text, error=seed_error or False, message=seed_error or None, classes=["abm-seed"]).key("seed")
        with solara.Row():
            solara.Button("Setup", color="primary", on_click=do_setup, classes=["abm-setup"])
            solara.Button("Program values", text=True, on_click=lambda: on_program(choice.value) if choice.value != CONFIG_FILE else on_path(path.value))
        if error.value:
            solara.Error(error.value, classes=["abm-error"])
        elif pending:
            solara.Warning(f"{pending} change(s) not applied: press Setup", dense=True, classes=["abm-pending"])
        ParameterInputs(values, applied, main, texts)
        # The other parameters are built only when asked for: every widget on the page costs time
        # on each redraw (Solara walks the whole tree), so a step stays fast with them hidden.
        solara.Switch(label=f"all {len(specs)} parameters", value=show_all)
        if show_all.value:
            ParameterInputs(values, applied, rest, texts)


@solara.component
def RunControls(model: solara.Reactive, setup: solara.Reactive[Setup], play_interval: solara.Reactive[int],
                render_interval: solara.Reactive[int], tick: int = 0):  # fmt: skip
    """Reset, Play/Pause and Step, and "week N of T".

    Play runs in one thread: each step under the model's lock, a redraw after every N steps but at
    most every MIN_REDRAW_SECONDS; it stops at the horizon (with a message), on Pause, when
    Setup/Reset replaces the model, and when the page is closed or its session ends."""
    playing = solara.use_reactive(False)
    message = solara.use_reactive("")
    horizon = setup.value.scenario.steps

    def play(cancel: threading.Event) -> None:
        if not playing.value:
            return
        m = model.value
        _count(1)
        try:
            last, since = time.monotonic(), 0
            while not cancel.is_set():
                if not page_connected():
                    return  # the tab was closed: nobody to show it to (no redraw)
                if m.steps >= horizon:
                    message.set(f"Stopped at the horizon: week {horizon}. Step goes on week by week; Reset starts again.")
                    playing.set(False)
                    break
                with model_lock(m):
                    m.step()
                since += 1
                if since >= render_interval.value and time.monotonic() - last >= MIN_REDRAW_SECONDS:
                    force_update()
                    last, since = time.monotonic(), 0
                cancel.wait(play_interval.value / 1000)
            if since and page_connected():
                force_update()
        finally:
            _count(-1)

    solara.use_thread(play, dependencies=[playing.value, model.value], intrusive_cancel=False)

    def do_step() -> None:
        m = model.value
        with model_lock(m):
            m.step()
        force_update()

    def do_reset() -> None:
        playing.set(False)
        message.set("")
        model.set(setup.value.build())
        force_update()

    def do_play() -> None:
        if model.value.steps >= horizon:
            message.set(f"At the horizon (week {horizon}): Step goes on week by week; Reset starts again.")
            return
        message.set("")
        playing.set(True)

    with solara.Row():
        solara.Button("Reset", color="primary", text=True, on_click=do_reset)
        if playing.value:
            solara.Button("❚❚", color="primary", on_click=lambda: playing.set(False))
        else:
            solara.Button("▶", color="primary", on_click=do_play)
        solara.Button("Step", color="primary", outlined=True, on_click=do_step, disabled=playing.value)
    with model_lock(model.value):
        week = model.value.steps
    solara.Text(f"week {week} of {horizon}", classes=["abm-week"], style={"font-weight": "bold"})
    if message.value:
        solara.Info(message.value, dense=True, classes=["abm-play-message"])


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

    def release_old():
        m = model.value
        return m.release  # Mesa 3.3.1 keeps a class-level reference to every model until released

    solara.use_effect(release_old, [model.value])
    solara.use_effect(lambda: release_soon, [])  # the session ended: give its memory back

    sc = setup.value.scenario
    tick = update_counter.get()  # the page's only subscription: one render pass per redraw
    m = model.value
    with model_lock(m):
        n_orgs, n_clin = m.state.n_orgs, m.state.n_clinicians

    def table(get):
        def read() -> bytes:
            with model_lock(m):
                return get().encode()

        return read

    with solara.Column() if inline else solara.Sidebar():
        with solara.Card("Run", classes=["abm-controls"]):
            # plain text, not Markdown: solara's Markdown loads KaTeX, which is not in the offline asset cache
            with solara.Column(gap="2px"):
                solara.Text(f"{sc.name}: {sc.description}", style={"font-weight": "bold", "font-size": "0.9em"})
                solara.Text(f"{n_orgs} partners, {n_clin} clinicians, seed {setup.value.seed}", style={"font-size": "0.9em"})
            # Reset rebuilds the applied setup
            RunControls(model, setup, play_interval, render_interval, tick)
            solara.SliderInt(f"Play interval: {play_interval.value} ms", value=play_interval, min=10, max=1000, step=10)
            solara.SliderInt(f"Redraw every {render_interval.value} step(s)", value=render_interval, min=1, max=52)
            solara.FileDownload(
                table(lambda: m.datacollector.get_model_vars_dataframe().rename_axis("step").to_csv()),
                filename=f"{sc.name}-seed{setup.value.seed}-outcomes.csv", label="Download outcomes (CSV)",
            )
            solara.FileDownload(
                table(lambda: m.datacollector.get_table_dataframe("milestones").to_csv(index=False)),
                filename=f"{sc.name}-seed{setup.value.seed}-milestones.csv", label="Download milestones (CSV)",
            )
        SetupCard(model, setup, program)
    LivePanels(m, tick)
