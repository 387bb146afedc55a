"""The built-in synthetic market: raw L2 snapshots and trade prints with known true parameters.

``simulate_market_day(instrument, date, seed, params=None, regime="normal", n_levels=10)``
returns a ``SyntheticDay`` (``snapshots``, ``trades``, ``truth``). Everything a calibrator needs
to invert the model from ``snapshots`` + ``trades`` alone is stated here.

Clock. One US-equity session a day, 23,400 seconds (``execution_assets.impact.US_EQUITY_SESSION_SECONDS``)
from the open of the instrument's reference row (09:30 New York for the built-in instruments and
names ``market/instruments.csv`` does not list; an instrument whose sessions differ, ES on Globex,
is refused). Seconds ``k = 0..23399`` from the open; the snapshot with ``ts = open + k s`` is the
book at the END of second ``k``. A trade with ``ts`` in ``[k, k + 1)`` s happens during second
``k``; its pre-trade book is the snapshot of second ``k - 1`` (for ``k = 0`` the unreported
opening book).

Order flow (exogenous: its own random stream; it never sees prices or the signal).
- Arrivals: Poisson, intensity per second ``ADV / E[size] * volume_curve[minute] / 60``, where
  ``volume_curve`` (``truth["volume_curve"]``, 390 values summing to 1) is a U-shape. So the
  expected daily volume is exactly ``adv_shares`` in every regime.
- Sizes: ``lot_size * k`` with ``P(k) ~ k^-size_tail_alpha``, ``k = 1..size_max_lots``, i.i.d.
- Signs: a Markov chain over trades; a trade repeats the previous aggressor side with
  probability ``sign_persistence``.
- ``x_k`` = net aggressor volume of second ``k`` / ADV; ``b_k``, ``s_k`` = buy and sell volume.

Efficient mid (log price), second ``k`` (``execution_assets.impact`` formulas):
    d log m_k = mu / 23400 + sigma_k sqrt(1 - A) eps_k + a sigma_k I_k
                + gamma sign(x_k) |x_k|^delta + (J_{k+1} - J_k),
    J_{k+1} = exp(-rho) J_k + kappa x_k,    J_0 = 0     (Obizhaeva-Wang kernel kappa e^{-rho t})
- ``sigma_k^2 = sigma_daily^2 * vol_curve[minute] / 60`` (U-shape, ``truth["vol_curve"]``).
- ``I`` is the OU imbalance signal, AR(1) with ``phi = exp(-signal_reversion_per_s)``, unit
  variance; ``a = signal_alpha``; ``A = a^2 (1 + phi) / (1 - phi)`` is the alpha's share of
  variance, so diffusion plus alpha have daily variance exactly ``sigma_daily^2``. The market's
  flow adds ``gamma^2 Var(sum x)`` (``truth["sigma_daily_with_impact"]``, ~1-2% of variance).
- With ``delta = 1`` the mid's response to ``x_k`` is ``gamma + kappa`` at once, decaying to
  ``gamma``: ``d log m_k = (gamma + kappa) x_k - kappa (1 - e^{-rho}) sum_{j<k} e^{-rho (k-1-j)} x_j + noise``.
- Regimes: ``volatile`` multiplies sigma by ``volatile_sigma_mult`` (2) and the spread by
  ``volatile_spread_mult``; ``trending`` adds ``mu = +-trend_drift_sigmas * sigma_daily`` over
  the day (sign drawn per day). Flow, impact and volume are regime-free.

Book (``book.py``): spread ``max(1, round(c e^{s z}))`` ticks with ``z`` a mean-reverting AR(1);
``bid_1 = round(m / tick - S / 2)``, ``ask_1 = bid_1 + S`` (never crossed or locked; quoted mid =
efficient mid + uniform rounding error); deeper levels 1 tick apart (2 with
``level_gap_prob``); sizes from a depth profile with lognormal AR(1) noise, tilted by
``exp(+-imbalance_tilt * decay^(level-1) * I)``, so ``imbalance_1`` predicts the next seconds'
returns.

Trade prints: a buy in second ``k`` executes at ``ask_1 + R(eta |p|^beta * mid / tick)`` ticks and
a sell at ``bid_1 - R(eta |p|^beta * mid / tick)``, with the pre-trade quotes (state ``k``),
``p = participation(same-side volume of second k, 1 s, ADV)`` (``b_k`` for buys, ``s_k`` for sells)
and ``R`` unbiased stochastic rounding to a whole tick. Hence
``E[side * (price - pre-trade touch) / pre-trade mid | p] = eta p^beta``: temporary impact is
the cost beyond the touch, and it never moves the mid.

Determinism: (instrument name, date, seed) seed independent streams for flow, signal, mid,
book, prints and trend sign. The regime, ``n_levels`` and one component's parameters leave the
other streams' draws unchanged (common random numbers: e.g. volatile = normal shocks x 2).
"""

from execution_assets.market.synthetic.day import SyntheticDay, normal_day_truth, simulate_market_day
from execution_assets.market.synthetic.params import REGIMES, InstrumentSpec, MarketParams, UShape

__all__ = ["REGIMES", "InstrumentSpec", "MarketParams", "SyntheticDay", "UShape", "normal_day_truth", "simulate_market_day"]
