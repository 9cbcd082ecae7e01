# gnuplot null.gp — draws the null calibration's figures from the .dat files
set terminal pngcairo size 800,560 font "DejaVu Sans,12"
set grid lc rgb "#dddddd"
set key top right
binw = 0.25
bin(x) = binw * floor(x / binw) + binw / 2
N0 = 1800
gauss(x, n) = n * binw * exp(-x * x / 2) / sqrt(2 * pi)
set output "z_local.png"
set title "Local Z per window and working point, 200 background-only searches"
set xlabel "local Z [σ]"
set ylabel "windows per 0.25σ"
set xrange [-4:5]
plot for [k=0:2] "z_local.dat" index k using (bin($1)):(1.0) smooth frequency with histeps lw 2 \
       title sprintf("ε_B = %s", word("0.01 0.001 0.0001", k + 1)), \
     gauss(x, N0) with lines dt 2 lc rgb "black" title "N(0, 1)"
set output "z_max.png"
set title "Largest local Z of each search (27 tests each)"
set xlabel "largest local Z [σ]"
set ylabel "cumulative fraction of searches"
set yrange [0:1]
set xrange [*:*]
plot "z_max.dat" using 1:(($0 + 1) / 200.0) with steps lw 2 title "200 searches", \
     norm(x)**27 with lines dt 2 lc rgb "black" title "max of 27 independent N(0,1)"
set output "p_global.png"
set title "Global p-values (Bonferroni) against uniform quantiles"
set xlabel "uniform quantile"
set ylabel "global p"
set xrange [0:1]
set yrange [0:1]
set key bottom right
plot "p_global.dat" using 1:2 with points pt 7 ps 0.6 title "searches", x with lines dt 2 lc rgb "black" title "uniform"
