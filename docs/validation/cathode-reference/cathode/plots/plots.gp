# Drawn by `resanom search`; rerun with `gnuplot plots.gp` inside this folder.
set datafile missing "NaN"
set encoding utf8
colors = "#0072B2 #D55E00 #009E73 #CC79A7 #E69F00 #56B4E9"
color(i) = word(colors, (i - 1) % 6 + 1)
terminals = "pngcairo svg"
suffixes = "png svg"
do for [t = 1:2] {
  if (t == 1) { set terminal pngcairo size 1100,800 font "Sans,12" } else { set terminal svg size 1100,800 font "Sans,12" dynamic }
  set output "spectrum." . word(suffixes, t)
  set multiplot title "cathode: m spectrum of SR [3.4, 3.8) TeV before and after the cuts"
  set object 1 rectangle from 3.4, graph 0 to 3.8, graph 1 fillcolor rgb "#DDDDDD" fillstyle solid 0.5 noborder behind
  set lmargin at screen 0.09; set rmargin at screen 0.74
  set xrange [2.4:4.6]
  set tmargin at screen 0.92; set bmargin at screen 0.09
  set logscale y; set format y "10^{%L}"; set yrange [0.5:*]
  set format x "%g"; set xlabel "m [TeV]"
  set ylabel "events / bin"; set key at screen 0.99, screen 0.92 top right box opaque
  set grid
  plot "spectrum_steps.dat" using 1:2 with lines lw 2 lc rgb "black" title "all events", \
     "spectrum_steps.dat" using 1:3 with lines lw 2 lc rgb color(1) title "ε_B = 0.01", \
     "spectrum_steps.dat" using 1:5 with lines lw 2 lc rgb color(2) title "ε_B = 0.001", \
     "spectrum_steps.dat" using 1:7 with lines lw 2 lc rgb color(3) title "ε_B = 0.0001"
  unset multiplot
  unset logscale y; set format y "%g"; set format x "%g"
  unset object 1; unset arrow 1; set xrange [*:*]; set yrange [*:*]; unset xlabel; unset ylabel
  set lmargin -1; set rmargin -1; set tmargin -1; set bmargin -1
}
do for [t = 1:2] {
  if (t == 1) { set terminal pngcairo size 1000,600 font "Sans,12" } else { set terminal svg size 1000,600 font "Sans,12" dynamic }
  set output "significance." . word(suffixes, t)
  set title "cathode: local significance per window — max local Z 1.04, global Z 0.00 (Bonferroni, 27 trials)"
  set xlabel "signal-region centre [TeV]"; set ylabel "local Z [σ]"
  set key outside right top box; set grid; set offsets 0.05, 0.05, 0.5, 0.5
  set arrow 2 from graph 0, first 3 to graph 1, first 3 nohead dt 3 lc rgb "gray40"
  set arrow 3 from graph 0, first 5 to graph 1, first 5 nohead dt 3 lc rgb "gray40"
  plot 0 with lines lc rgb "gray40" notitle, \
       "significance.dat" using 3:4 with linespoints lw 2 pt 7 lc rgb color(1) title "direct, ε_B = 0.01", \
       "significance.dat" using 3:5 with linespoints lw 2 pt 7 lc rgb color(2) title "direct, ε_B = 0.001", \
       "significance.dat" using 3:6 with linespoints lw 2 pt 7 lc rgb color(3) title "direct, ε_B = 0.0001"
  unset arrow 2; unset arrow 3; unset title; set offsets 0, 0, 0, 0
}
do for [t = 1:2] {
  if (t == 1) { set terminal pngcairo size 800,600 font "Sans,12" } else { set terminal svg size 800,600 font "Sans,12" dynamic }
  set output "roc." . word(suffixes, t)
  set title "cathode: ROC curve, SR [3.4, 3.8) TeV"
  set xlabel "signal efficiency ε_S"; set ylabel "background rejection 1/ε_B"
  set logscale y; set grid; set key top right box; set xrange [0:1]
  plot "roc.dat" using 1:3 with lines lw 2 lc rgb color(1) title "cathode", \
       (x > 0 ? 1/x : 1/0) with lines dt 2 lc rgb "gray40" title "random"
  unset logscale y
  set output "sic." . word(suffixes, t)
  set title "cathode: significance improvement, SR [3.4, 3.8) TeV"
  set ylabel "SIC = ε_S/√ε_B"
  plot "roc.dat" using 1:4 with lines lw 2 lc rgb color(1) title "cathode", \
       sqrt(x) with lines dt 2 lc rgb "gray40" title "random"
  unset title; set xrange [*:*]
}
set key inside top right box; set grid; set xtics font ",9"
do for [t = 1:2] {
  if (t == 1) { set terminal pngcairo size 1000,720 font "Sans,11" } else { set terminal svg size 1000,720 font "Sans,11" dynamic }
  set output "marginals." . word(suffixes, t)
  set multiplot layout 2,2 title "cathode: SR [3.4, 3.8) TeV data vs the flow's samples (normalized)"
  set xlabel "c1"; set ylabel "density"
  plot "marginals.dat" index 0 using (($1+$2)/2):3 with histeps lw 2 lc rgb "black" title "SR data", \
       "marginals.dat" index 0 using (($1+$2)/2):4 with histeps lw 2 lc rgb color(2) title "flow samples"
  set xlabel "c2"; set ylabel "density"
  plot "marginals.dat" index 1 using (($1+$2)/2):3 with histeps lw 2 lc rgb "black" title "SR data", \
       "marginals.dat" index 1 using (($1+$2)/2):4 with histeps lw 2 lc rgb color(2) title "flow samples"
  set xlabel "c3"; set ylabel "density"
  plot "marginals.dat" index 2 using (($1+$2)/2):3 with histeps lw 2 lc rgb "black" title "SR data", \
       "marginals.dat" index 2 using (($1+$2)/2):4 with histeps lw 2 lc rgb color(2) title "flow samples"
  set xlabel "c4"; set ylabel "density"
  plot "marginals.dat" index 3 using (($1+$2)/2):3 with histeps lw 2 lc rgb "black" title "SR data", \
       "marginals.dat" index 3 using (($1+$2)/2):4 with histeps lw 2 lc rgb color(2) title "flow samples"
  unset multiplot
}
